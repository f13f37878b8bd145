import { afterEach, describe, expect, test } from '@jest/globals';
import { hostname } from 'node:os';
import { captureStdin } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

// In the captures, VF 1 of eth0 (0000:01:10.2) went to l2-hostdev, VF 0 (0000:01:10.0) to the others.
const PF = { name: 'eth0', pci: '0000:01:00.0', numVfs: 2, refuses: ['state', 'proto'] };
const hostdevPrepare = captureStdin('qemu.l2-hostdev.prepare.begin.xml');
const hostdevStart = captureStdin('qemu.l2-hostdev.start.begin.xml');
const hostdevStopped = captureStdin('qemu.l2-hostdev.stopped.end.xml');
const HOSTDEV_SETTINGS = "<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01' vlan='403' trust='on' spoofchk='off' max-tx-rate='100'/>";

let bench: HookBench;
afterEach(() => bench?.remove());

/** Run a domain through prepare and start as libvirt does. */
async function startDomain(prepareXml: string, startXml: string, name: string, between?: () => void) {
  const p = await bench.run('qemu', `${name} prepare begin -`, prepareXml);
  if (p.exitCode !== 0) return p;
  between?.();
  return bench.run('qemu', `${name} start begin -`, startXml);
}

describe('plain <hostdev>: the hook sets everything, MAC and VLAN included', () => {
  const prepareXml = withMetadata(hostdevPrepare, [HOSTDEV_SETTINGS]);
  const startXml = withMetadata(hostdevStart, [HOSTDEV_SETTINGS]);
  const stoppedXml = withMetadata(hostdevStopped, [HOSTDEV_SETTINGS]);

  test('start puts MAC, VLAN, trust, spoofchk and rate on the VF in one ip -batch, and reads it back', async () => {
    bench = HookBench.create([PF]);
    bench.takeIpCalls();
    const r = await startDomain(prepareXml, startXml, 'l2-hostdev');
    expect(r).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true, spoofchk: false, max_tx: 100 });
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0, trust: false });
    const calls = bench.takeIpCalls();
    const writes = calls.filter((c) => c.batch);
    expect(writes).toHaveLength(1); // one write process for the whole start
    expect(calls.filter((c) => c.argv[0] === '-j')).toHaveLength(3); // prepare's read, start's read and its read-back
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.2', pf: 'eth0', index: 1, owner: { name: 'l2-hostdev' }, phase: 'running' }]);
    const log = bench.lastLog();
    expect(log).toMatchObject({ hook: 'qemu', op: 'start', object: 'l2-hostdev', result: 'ok' });
    expect(log.changes).toEqual(expect.arrayContaining([
      { pf: 'eth0', vf: 1, pci: '0000:01:10.2', setting: 'vlan', from: 'none', to: '403' },
      { pf: 'eth0', vf: 1, pci: '0000:01:10.2', setting: 'trust', from: 'off', to: 'on' },
    ]));
  });

  test('stopped puts the VF back as it was; release forgets it', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { mac: '02:11:22:33:44:55' }); // what igbvf gave the VF
    await startDomain(prepareXml, startXml, 'l2-hostdev');
    expect((await bench.run('qemu', 'l2-hostdev stopped end -', stoppedXml)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: '02:11:22:33:44:55', vlan: 0, trust: false, spoofchk: true, max_tx: 0 });
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.2', phase: 'stopped' }]);
    expect((await bench.run('qemu', 'l2-hostdev release end -', stoppedXml)).exitCode).toBe(0);
    expect(bench.records()).toEqual([]);
  });

  test('a guest that asks for no VLAN gets none, even when a previous guest left one on the VF', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { vlan: 999, trust: true });
    const r = await startDomain(hostdevPrepare, hostdevStart, 'l2-hostdev');
    expect(r.exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 0, trust: false });
  });

  test('a VLAN of 5000 in the metadata stops the guest in prepare with a message naming it, and changes nothing', async () => {
    bench = HookBench.create([PF]);
    const bad = withMetadata(hostdevPrepare, ["<sriov:vf pci='0000:01:10.2' vlan='5000'/>"]);
    const before = bench.host.load().pfs;
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', bad);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/domain l2-hostdev.*0000:01:10\.2.*VLAN 5000 is out of range \(1-4094\)/);
    expect(bench.host.load().pfs).toEqual(before);
    expect(bench.records()).toEqual([]);
    expect(bench.lastLog()).toMatchObject({ op: 'prepare', result: 'refused', error: expect.stringContaining('VLAN 5000') });
  });

  test('settings for a device the domain does not have (a hot-plug to come, or a typo) are a note in the log, not silently dropped, and the guest starts', async () => {
    bench = HookBench.create([PF]);
    const later = withMetadata(hostdevPrepare, ["<sriov:vf pci='0000:01:10.4' vlan='403'/>"]);
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', later);
    expect(r.exitCode).toBe(0);
    expect(bench.lastLog()).toMatchObject({ op: 'prepare', result: 'ok' });
    expect(bench.lastLog().notes.join()).toContain("VF 0000:01:10.4, which the domain doesn't have (yet)");
  });

  test('a VF held by another running guest: prepare refuses, naming the domain, the VF and the other guest', async () => {
    bench = HookBench.create([PF]);
    expect((await startDomain(prepareXml, startXml, 'l2-hostdev')).exitCode).toBe(0);
    const other = prepareXml.replace(/l2-hostdev/g, 'intruder').replace(/a867017f-86ba-459d-b491-76e079f3a4bd/g, '11111111-2222-3333-4444-555555555555')
      .replace(/ vlan='403'/, " vlan='7'");
    const vfBefore = bench.host.vf('eth0', 1);
    const r = await bench.run('qemu', 'intruder prepare begin -', other);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/domain intruder: VF 0000:01:10\.2 \(eth0 vf 1\) is held by guest l2-hostdev/);
    expect(bench.host.vf('eth0', 1)).toEqual(vfBefore);
    // and the holder's release later is not disturbed by the refused guest
    await bench.run('qemu', 'intruder release end -', other);
    expect(bench.records()).toMatchObject([{ owner: { name: 'l2-hostdev' } }]);
  });

  test('ip failing half way through start: every VF is put back exactly and the guest does not start', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { mac: '02:11:22:33:44:55' });
    expect((await bench.run('qemu', 'l2-hostdev prepare begin -', prepareXml)).exitCode).toBe(0);
    const before = bench.host.vf('eth0', 1);
    bench.host.update((s) => { s.failVfCommandAt = 3; s.vfCommandsSeen = 0; });
    const r = await bench.run('qemu', 'l2-hostdev start begin -', startXml);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/domain l2-hostdev: eth0 vf 1 \(0000:01:10\.2\): `ip link set dev eth0 vf 1 \w+ .*` failed: RTNETLINK answers: Input\/output error\. Every VF was put back/);
    expect(bench.host.vf('eth0', 1)).toEqual(before);
  });

  test('a setting igb can\'t do (link state) is refused at prepare, naming domain, PF and driver, before anything changes', async () => {
    bench = HookBench.create([PF]);
    const entry = "<sriov:vf pci='0000:01:10.2' vlan='403' trust='on' link-state='enable'/>";
    const before = bench.host.load().pfs;
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', withMetadata(hostdevPrepare, [entry]));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/domain l2-hostdev: hostdev 0000:01:10\.2 is VF 1 of PF eth0, whose driver igb can't do link state enable \(igb has no way to set a VF's link state\); nothing was changed/);
    expect(r.stderr).toContain('fix: remove this setting from the domain (virsh edit l2-hostdev)');
    expect(bench.host.load().pfs).toEqual(before);
    expect(bench.records()).toEqual([]);
  });

  test('on a driver virt-sriov doesn\'t know, what ip refuses fails the start clearly and leaves nothing half-applied', async () => {
    bench = HookBench.create([{ ...PF, driver: 'unknown_nic', refuses: ['state'] }]);
    const entry = "<sriov:vf pci='0000:01:10.2' vlan='403' trust='on' link-state='enable'/>";
    expect((await bench.run('qemu', 'l2-hostdev prepare begin -', withMetadata(hostdevPrepare, [entry]))).exitCode).toBe(0);
    const before = bench.host.vf('eth0', 1);
    const r = await bench.run('qemu', 'l2-hostdev start begin -', withMetadata(hostdevStart, [entry]));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('state enable');
    expect(r.stderr).toContain('Operation not supported');
    expect(r.stderr).toContain("fix: if the eth0 driver can't do this linkState setting");
    expect(bench.host.vf('eth0', 1)).toEqual(before);
  });
});

describe('<interface type=\'hostdev\'>: libvirt sets MAC and VLAN, the hook the rest', () => {
  const entry = "<sriov:vf interface-mac='52:54:00:aa:00:01' trust='on' spoofchk='off' max-tx-rate='100'/>";
  const prepareXml = withMetadata(captureStdin('qemu.l2-iface.prepare.begin.xml'), [entry]);
  const startXml = withMetadata(captureStdin('qemu.l2-iface.start.begin.xml'), [entry]);
  const stoppedXml = withMetadata(captureStdin('qemu.l2-iface.stopped.end.xml'), [entry]);

  test('start sets trust, spoofchk and rate, and not the MAC/VLAN libvirt already set', async () => {
    bench = HookBench.create([PF]);
    const r = await startDomain(prepareXml, startXml, 'l2-iface', () => bench.host.setVf('eth0', 0, { mac: '52:54:00:aa:00:01', vlan: 403 }));
    expect(r.exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '52:54:00:aa:00:01', vlan: 403, trust: true, spoofchk: false, max_tx: 100 });
    const set = bench.lastLog().changes.map((c) => c.setting);
    expect(set).toEqual(expect.arrayContaining(['trust', 'spoofchk', 'minTxRate/maxTxRate']));
    expect(set).not.toContain('mac');
    expect(set).not.toContain('vlan');
  });

  test('after stop, no VLAN, trust or MAC of the guest stays on the VF', async () => {
    bench = HookBench.create([PF]);
    await startDomain(prepareXml, startXml, 'l2-iface', () => bench.host.setVf('eth0', 0, { mac: '52:54:00:aa:00:01', vlan: 403 }));
    await bench.run('qemu', 'l2-iface stopped end -', stoppedXml);
    await bench.run('qemu', 'l2-iface release end -', stoppedXml);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0, trust: false, spoofchk: true, max_tx: 0 });
  });
});

describe('network style: port-created claims the VF libvirt picked', () => {
  const entry = "<sriov:vf interface-mac='52:54:00:bb:00:01' trust='on'/>";
  const prepareXml = withMetadata(captureStdin('qemu.l2-net.prepare.begin.xml'), [entry]);
  const startXml = withMetadata(captureStdin('qemu.l2-net.start.begin.xml'), [entry]);
  const releaseXml = withMetadata(captureStdin('qemu.l2-net.release.end.xml'), [entry]);
  const portCreated = captureStdin('network.sriov.port-created.begin.xml');

  test('the whole life of a guest on the pool, with the network\'s defaults from the config under the guest\'s own', async () => {
    bench = HookBench.create([PF], { networks: { sriov: { maxTxRate: 50, trust: false } } });
    expect((await bench.run('qemu', 'l2-net prepare begin -', prepareXml)).exitCode).toBe(0);
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.0', network: 'sriov', owner: { name: 'l2-net' }, phase: 'claimed' }]);
    // port-created runs again when the daemon restarts: nothing changes
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    bench.host.setVf('eth0', 0, { mac: '52:54:00:bb:00:01', vlan: 403 }); // libvirt
    expect((await bench.run('qemu', 'l2-net start begin -', startXml)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ vlan: 403, trust: true, max_tx: 50 });
    await bench.run('qemu', 'l2-net stopped end -', releaseXml);
    await bench.run('network', 'sriov port-deleted begin -', captureStdin('network.sriov.port-deleted.begin.xml'));
    await bench.run('qemu', 'l2-net release end -', releaseXml);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ vlan: 0, trust: false, max_tx: 0 });
    expect(bench.records()).toEqual([]);
  });
});

describe('reconnect, VF creation, migrate and the rest', () => {
  test('reconnect adopts a running guest\'s VF without touching it', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { vlan: 403, trust: true });
    bench.takeIpCalls();
    const r = await bench.run('qemu', 'l2-hostdev reconnect begin -', hostdevStart);
    expect(r.exitCode).toBe(0);
    expect(bench.takeIpCalls().filter((c) => c.batch)).toEqual([]);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 403, trust: true });
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.2', owner: { name: 'l2-hostdev' }, original: null, phase: 'running' }]);
    // never seen before the guest: its release leaves a clean VF
    await bench.run('qemu', 'l2-hostdev stopped end -', hostdevStopped);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 0, trust: false });
  });

  test('reconnect never fails, even on XML it cannot read', async () => {
    bench = HookBench.create([PF]);
    const r = await bench.run('qemu', 'vm reconnect begin -', "<domain><name>vm</name><devices><hostdev mode='subsystem' type='pci'><source><addr");
    expect(r.exitCode).toBe(0);
    expect(bench.lastLog()).toMatchObject({ op: 'reconnect', result: 'failed' });
  });

  test('stopped and release never fail', async () => {
    bench = HookBench.create([PF]);
    for (const op of ['stopped end', 'release end']) {
      expect((await bench.run('qemu', `vm ${op} -`, 'not xml at all')).exitCode).toBe(0);
    }
  });

  test('after a reboot (0 VFs), prepare creates the configured VFs so the domain\'s VF exists', async () => {
    bench = HookBench.create([{ ...PF, numVfs: 0 }], { pfs: { eth0: { numVfs: 4 } } });
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', hostdevPrepare);
    expect(r).toMatchObject({ exitCode: 0 });
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('4');
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.2' }]);
  });

  test('after a reboot the PF is down: prepare brings it up when the config says so, as a VF of a down PF has no link', async () => {
    bench = HookBench.create([{ ...PF, up: false }], { pfs: { eth0: { numVfs: 2, bringUp: true } } });
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', hostdevPrepare);
    expect(r).toMatchObject({ exitCode: 0 });
    expect(bench.host.load().pfs.eth0?.up).toBe(true);
    expect(bench.lastLog().notes).toContain('eth0: brought up');
  });

  test('a PF that is down and not to be brought up: prepare refuses with the command to run, and claims nothing', async () => {
    bench = HookBench.create([{ ...PF, up: false }]);
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', hostdevPrepare);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('PF eth0 is down, and libvirt sets a VF\'s MAC only on a PF that is up');
    expect(r.stderr).toContain('`ip link set eth0 up`');
    expect(r.stderr).toContain('"pfs": {"eth0": {"bringUp": true}}');
    expect(bench.host.load().pfs.eth0?.up).toBe(false);
    expect(bench.records()).toEqual([]);
  });

  test('after a reboot with no pfs in the config, prepare finds the VF\'s PF from sriov_offset/sriov_stride and makes just enough VFs', async () => {
    bench = HookBench.create([{ ...PF, numVfs: 0 }]);
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', hostdevPrepare);
    expect(r).toMatchObject({ exitCode: 0 });
    // 0000:01:10.2 is VF 1 of eth0 (0000:01:00.0 + 128 + 1 * 2): VFs 0 and 1
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('2');
    expect(bench.lastLog().notes).toContain('eth0: VFs 0 -> 2');
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.2', pf: 'eth0', index: 1 }]);
  });

  test('a VF the config\'s count leaves out is refused, naming the PF, the count and the command that raises it', async () => {
    bench = HookBench.create([{ ...PF, numVfs: 0 }], { pfs: { eth0: { numVfs: 1 } } });
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', hostdevPrepare);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('hostdev 0000:01:10.2 names VF 1 of eth0, but eth0 is set to 1 VFs');
    expect(r.stderr).toContain('virt-sriov vfs eth0 --count 2');
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('0');
  });

  test('an address no PF of this host makes: refused with how to fix it', async () => {
    bench = HookBench.create([{ ...PF, numVfs: 0 }]);
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', hostdevPrepare.replace(/bus='0x01'/, "bus='0x07'"));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('hostdev 0000:07:10.2 names a PCI device this host doesn\'t have, and no SR-IOV PF of this host makes a VF there');
  });

  test('migrate points a <hostdev> at a free VF of the same PF when its VF is taken here, and its settings follow', async () => {
    bench = HookBench.create([{ ...PF, numVfs: 3 }]);
    const holder = withMetadata(hostdevPrepare.replace(/l2-hostdev/g, 'holder').replace(/a867017f/g, 'bbbbbbbb'), []);
    expect((await bench.run('qemu', 'holder prepare begin -', holder)).exitCode).toBe(0);
    const incoming = withMetadata(hostdevPrepare, [HOSTDEV_SETTINGS]);
    const r = await bench.run('qemu', 'l2-hostdev migrate begin -', incoming);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("<address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>");
    expect(r.stdout).toContain("<sriov:vf pci='0000:01:10.0' mac='de:ad:fe:ed:ff:01' vlan='403'");
    expect(r.stdout).not.toContain('0000:01:10.2');
  });

  test('migrate: a taken VF whose PF has no free VF goes to a PF the config maps to the same physical network, and to no other PF', async () => {
    const ETH1 = { name: 'eth1', pci: '0000:02:00.0', numVfs: 1, refuses: ['state', 'proto'] };
    const ETH2 = { name: 'eth2', pci: '0000:03:00.0', numVfs: 1, refuses: ['state', 'proto'] };
    const holder = withMetadata(hostdevPrepare.replace(/l2-hostdev/g, 'holder').replace(/a867017f/g, 'bbbbbbbb'), []);
    const incoming = withMetadata(hostdevPrepare, [HOSTDEV_SETTINGS]);
    // eth0 (the VF's PF) and eth2 are on fabric-a here; eth1, with a free VF too, is not
    const physicalNetworks = { 'fabric-a': { [hostname()]: ['eth0', 'eth2'] }, other: { [hostname()]: ['eth1'] } };
    bench = HookBench.create([{ ...PF, numVfs: 2 }, ETH1, ETH2], { physicalNetworks });
    expect((await bench.run('qemu', 'holder prepare begin -', holder)).exitCode).toBe(0);
    bench.host.setVf('eth0', 0, { mac: '02:00:00:00:00:01' });
    const other = withMetadata(hostdevPrepare.replace(/l2-hostdev/g, 'other').replace(/a867017f/g, 'cccccccc').replace(/function='0x2'/g, "function='0x0'"), []);
    expect((await bench.run('qemu', 'other prepare begin -', other)).exitCode).toBe(0);
    const r = await bench.run('qemu', 'l2-hostdev migrate begin -', incoming);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("<address domain='0x0000' bus='0x03' slot='0x10' function='0x0'/>");
    expect(r.stdout).toContain("<sriov:vf pci='0000:03:10.0' mac='de:ad:fe:ed:ff:01' vlan='403'");

    // without the mapping, eth1's and eth2's free VFs are no one's guess
    bench.remove();
    bench = HookBench.create([{ ...PF, numVfs: 2 }, ETH1, ETH2]);
    expect((await bench.run('qemu', 'holder prepare begin -', holder)).exitCode).toBe(0);
    expect((await bench.run('qemu', 'other prepare begin -', other)).exitCode).toBe(0);
    const refused = await bench.run('qemu', 'l2-hostdev migrate begin -', incoming);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('hostdev 0000:01:10.2 is held by another guest, and eth0 has no free VF');
    expect(refused.stderr).toContain("physicalNetworks");
  });

  test('migrate never guesses a PF for a VF this host doesn\'t have: the XML goes on unchanged, and prepare refuses it', async () => {
    // eth0 is the only PF, with free VFs: still not the guest's network for all anyone knows
    bench = HookBench.create([{ ...PF, numVfs: 3 }]);
    const incoming = hostdevPrepare.replace(/bus='0x01'/, "bus='0x07'");
    const r = await bench.run('qemu', 'l2-hostdev migrate begin -', incoming);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(incoming.endsWith('\n') ? incoming : incoming + '\n');
    const p = await bench.run('qemu', 'l2-hostdev prepare begin -', r.stdout);
    expect(p.exitCode).toBe(1);
    expect(p.stderr).toContain('hostdev 0000:07:10.2 names a PCI device this host doesn\'t have');
  });

  test('migrate: a VF bound to vfio-pci here, with no record of who (a guest virt-sriov did not start, DPDK, or the source on a shared kernel), is taken too', async () => {
    bench = HookBench.create([PF]);
    bench.host.bindVf('eth0', 1, 'vfio-pci'); // 0000:01:10.2, the VF the guest names
    const r = await bench.run('qemu', 'l2-hostdev migrate begin -', withMetadata(hostdevPrepare, [HOSTDEV_SETTINGS]));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('0000:01:10.2');
    expect(r.stdout).toContain("<sriov:vf pci='0000:01:10.0' mac='de:ad:fe:ed:ff:01' vlan='403'");
    // and with no VF free beside it, the refusal says what has it
    bench.host.bindVf('eth0', 0, 'vfio-pci');
    const refused = await bench.run('qemu', 'l2-hostdev migrate begin -', withMetadata(hostdevPrepare, [HOSTDEV_SETTINGS]));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('hostdev 0000:01:10.2 is in use here (vfio-pci), and eth0 has no free VF');
  });

  test('migrate of a domain whose VF is free here prints the XML unchanged', async () => {
    bench = HookBench.create([PF]);
    const r = await bench.run('qemu', 'l2-hostdev migrate begin -', hostdevPrepare);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(hostdevPrepare.endsWith('\n') ? hostdevPrepare : hostdevPrepare + '\n');
  });

  test('other operations exit 0 at once, touching nothing', async () => {
    bench = HookBench.create([PF]);
    bench.takeIpCalls();
    for (const op of ['started begin', 'attach begin', 'whatever x']) {
      expect(await bench.run('qemu', `l2-hostdev ${op} -`, hostdevStart)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    }
    expect(bench.takeIpCalls()).toEqual([]);
  });
});
