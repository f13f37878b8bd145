/**
 * What drivers do to a restore and to a MAC write: a MAC that shows late, a zero MAC refused, a
 * VLAN clear refused with EPERM. Whatever they do, after release no VF keeps the guest's MAC,
 * VLAN or trust, or the admin sees an error naming the VF.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { captureStdin, type FakePfSpec } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

const ENTRY = "<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01' vlan='403' trust='on'/>";
const xml = (op: string) => withMetadata(captureStdin(`qemu.l2-hostdev.${op}.xml`), [ENTRY]);
const pf = (extra: Partial<FakePfSpec> = {}): FakePfSpec => ({ name: 'eth0', pci: '0000:01:00.0', numVfs: 2, ...extra });

let bench: HookBench;
afterEach(() => bench?.remove());

async function start() {
  const p = await bench.run('qemu', 'l2-hostdev prepare begin -', xml('prepare.begin'));
  return p.exitCode === 0 ? bench.run('qemu', 'l2-hostdev start begin -', xml('start.begin')) : p;
}
const stopped = () => bench.run('qemu', 'l2-hostdev stopped end -', xml('stopped.end'));
const release = () => bench.run('qemu', 'l2-hostdev release end -', xml('release.end'));

describe('a MAC write is read back, with a bounded retry', () => {
  test('i40e shows a new MAC late: start writes and reads it again, and the guest starts with it', async () => {
    bench = HookBench.create([pf({ driver: 'i40e' })]);
    expect(await start()).toMatchObject({ exitCode: 0, stderr: '' });
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true });
    expect(bench.lastLog().notes).toContainEqual(expect.stringMatching(/^MAC not shown yet on eth0 vf 1 \(0000:01:10\.2\): written and read again after 50 ms$/));
  });

  test('a MAC that never shows fails the start, naming the VF, and every VF is put back', async () => {
    bench = HookBench.create([pf({ macLateReads: 1000 })]);
    expect((await bench.run('qemu', 'l2-hostdev prepare begin -', xml('prepare.begin'))).exitCode).toBe(0);
    const before = bench.host.vf('eth0', 1);
    const r = await bench.run('qemu', 'l2-hostdev start begin -', xml('start.begin'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/domain l2-hostdev: eth0 vf 1 \(0000:01:10\.2\) did not take the settings: mac is 00:00:00:00:00:00, not de:ad:fe:ed:ff:01\. Every VF was put back/);
    expect(bench.host.vf('eth0', 1)).toEqual(before);
  });
});

describe('refusals on restore', () => {
  test('a zero MAC refused by a driver the table does not know: 02:00:00:00:00:00, as libvirt does', async () => {
    bench = HookBench.create([pf({ driver: 'unknown_nic', faults: { zeroMac: 'EINVAL' } })]);
    expect((await start()).exitCode).toBe(0);
    expect((await stopped()).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: '02:00:00:00:00:00', vlan: 0, trust: false });
    expect(bench.lastLog().notes).toContainEqual(expect.stringContaining('the driver refused MAC 00:00:00:00:00:00 (RTNETLINK answers: Invalid argument); trying 02:00:00:00:00:00'));
    expect(await release()).toMatchObject({ exitCode: 0, stderr: '' });
  });

  test('a VLAN clear refused with EPERM: stopped notes it, release fails naming the VF and the VLAN it keeps', async () => {
    bench = HookBench.create([pf({ faults: { vlanClear: 'EPERM' } })]);
    expect((await start()).exitCode).toBe(0);
    expect((await stopped()).exitCode).toBe(0);
    expect(bench.lastLog().notes).toContainEqual("eth0 vf 1 (0000:01:10.2) still has l2-hostdev's VLAN 403; release checks again");
    const r = await release();
    expect(r.exitCode).toBe(0); // libvirt ignores release's exit; the log and its stderr carry the error
    expect(r.stderr).toMatch(/^virt-sriov: eth0 vf 1 \(0000:01:10\.2\) still has l2-hostdev's VLAN 403: the driver refused to take it away/);
    expect(bench.lastLog()).toMatchObject({ op: 'release', result: 'failed', error: expect.stringContaining('VLAN 403') });
    // the MAC and trust went: only what the driver kept is left
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 403, trust: false });
  });

  test('restore writes back only what the guest changed: a link state set meanwhile by the admin stays', async () => {
    bench = HookBench.create([pf({ driver: 'bnxt_en' })]);
    expect((await start()).exitCode).toBe(0);
    bench.host.setVf('eth0', 1, { link_state: 'disable' });
    expect((await stopped()).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0, trust: false, link_state: 'disable' });
  });
});
