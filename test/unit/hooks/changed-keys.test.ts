/**
 * Release restores exactly the keys the record says were changed for the guest, then the
 * isolation scrub takes away what of the guest's would stay; a record from before the list was
 * kept restores every saved key.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureStdin } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

// In the captures, VF 1 of eth0 (0000:01:10.2) goes to l2-hostdev.
const PF = { name: 'eth0', pci: '0000:01:00.0', numVfs: 2, refuses: ['state', 'proto'] };
const PCI = '0000:01:10.2';
const SETTINGS = "<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01' vlan='403' trust='on' max-tx-rate='100'/>";
const xml = (file: string, entries = [SETTINGS]) => withMetadata(captureStdin(`qemu.l2-hostdev.${file}.xml`), entries);

let bench: HookBench;
afterEach(() => bench?.remove());

async function start(entries = [SETTINGS]) {
  expect((await bench.run('qemu', 'l2-hostdev prepare begin -', xml('prepare.begin', entries))).exitCode).toBe(0);
  return bench.run('qemu', 'l2-hostdev start begin -', xml('start.begin', entries));
}

async function stop() {
  expect((await bench.run('qemu', 'l2-hostdev stopped end -', xml('stopped.end'))).exitCode).toBe(0);
  return bench.run('qemu', 'l2-hostdev release end -', xml('stopped.end'));
}

const recordFile = () => join(bench.dir, 'state', 'vfs', `${PCI}.json`);

describe('the keys a hook changed, in the VF\'s record', () => {
  test('prepare records the MAC and VLAN libvirt sets; start adds what it wrote, before writing it', async () => {
    bench = HookBench.create([PF]);
    expect((await bench.run('qemu', 'l2-hostdev prepare begin -', xml('prepare.begin'))).exitCode).toBe(0);
    expect(bench.records()).toMatchObject([{ pci: PCI, phase: 'claimed', changed: ['mac', 'vlan'] }]);
    expect((await bench.run('qemu', 'l2-hostdev start begin -', xml('start.begin'))).exitCode).toBe(0);
    // spoofchk was on already (the guest's default): not changed, so not listed
    expect(bench.records()).toMatchObject([{ pci: PCI, phase: 'running', changed: ['mac', 'vlan', 'trust', 'minTxRate', 'maxTxRate'] }]);
  });

  test('a start the driver refuses half way puts the VF and its record back as they were', async () => {
    bench = HookBench.create([{ ...PF, refuses: [...PF.refuses, 'max_tx_rate'] }]);
    const r = await start();
    expect(r.exitCode).toBe(1);
    expect(bench.records()).toMatchObject([{ pci: PCI, phase: 'claimed', changed: ['mac', 'vlan'] }]);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0, trust: false, max_tx: 0 });
  });
});

describe('release: restore the changed keys, then the isolation scrub', () => {
  test('exactly the changed keys go back: one no hook changed is left as it is', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { mac: '02:11:22:33:44:55' });
    const before = bench.host.vf('eth0', 1);
    expect((await start()).exitCode).toBe(0);
    // while the guest runs, the admin turns spoof checking off by hand: no hook changed it
    bench.host.setVf('eth0', 1, { spoofchk: false });
    expect((await stop()).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toEqual({ ...before, spoofchk: false });
    expect(bench.records()).toEqual([]);
  });

  test('a record from before the changed keys were kept: every saved key goes back', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { mac: '02:11:22:33:44:55' });
    const before = bench.host.vf('eth0', 1);
    expect((await start()).exitCode).toBe(0);
    const { changed: _dropped, ...older } = JSON.parse(readFileSync(recordFile(), 'utf8')) as Record<string, unknown>;
    writeFileSync(recordFile(), JSON.stringify(older));
    bench.host.setVf('eth0', 1, { spoofchk: false });
    expect((await stop()).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toEqual(before);
  });

  test('a VF that had the guest\'s VLAN, trust and MAC before the guest: the scrub takes them away, and the log names the step', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true });
    expect((await start()).exitCode).toBe(0);
    expect(bench.records()).toMatchObject([{ changed: ['mac', 'vlan', 'minTxRate', 'maxTxRate'] }]);
    expect((await bench.run('qemu', 'l2-hostdev stopped end -', xml('stopped.end'))).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0, trust: false, max_tx: 0 });
    expect(bench.lastLog().notes.join('\n')).toMatch(/isolation scrub: mac 00:00:00:00:00:00, vlan none, trust off \(nothing of l2-hostdev's stays\)/);
    expect((await bench.run('qemu', 'l2-hostdev release end -', xml('stopped.end'))).exitCode).toBe(0);
  });

  test('the guest\'s VLAN and trust put on by something no hook recorded (libvirt failed after prepare): the scrub still takes them away', async () => {
    bench = HookBench.create([PF]);
    expect((await bench.run('qemu', 'l2-hostdev prepare begin -', xml('prepare.begin'))).exitCode).toBe(0);
    bench.host.setVf('eth0', 1, { vlan: 403, trust: true });
    expect((await stop()).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 0, trust: false });
  });
});
