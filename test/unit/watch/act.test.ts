/**
 * The watcher's look at a running guest (src/watch/act.ts) on a fake host, from libvirt's own
 * live XML (captured from libvirt 9.0 on an igb VF): a VF hot-plugged with plain virsh gets its
 * settings, one unplugged is restored and freed, one whose settings drifted is put right, and a
 * watcher killed half way finishes at its next look. The hooks run on the same host and state.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config.js';
import { HookReport, type HookEnv } from '../../../src/hooks/hook-env.js';
import { ipVfPort } from '../../../src/host/vf-port.js';
import { stateStore } from '../../../src/state/state-store.js';
import { reconcileGuest, runningGuest } from '../../../src/watch/act.js';
import { DomainXml } from '../../../src/xml/domain.js';
import { captureStdin } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

// In the captures, VF 1 of eth0 (0000:01:10.2) went to l2-hostdev, VF 0 (0000:01:10.0) to l2-iface.
const PF = { name: 'eth0', pci: '0000:01:00.0', numVfs: 2, refuses: ['state', 'proto'] };
const HOSTDEV = "<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01' vlan='403' trust='on' spoofchk='off' max-tx-rate='100'/>";
const hostdevLive = withMetadata(captureStdin('qemu.l2-hostdev.started.begin.xml'), [HOSTDEV]);
const withoutHostdev = (xml: string) => xml.replace(/\s*<hostdev [\s\S]*?<\/hostdev>/, '');

let bench: HookBench;
afterEach(() => bench?.remove());

function envOf(b: HookBench, patch: Partial<HookEnv> = {}): HookEnv {
  const config = { ...loadConfig(undefined), stateDir: join(b.dir, 'state'), logFile: join(b.dir, 'virt-sriov.log'), sysfsRoot: b.host.sysRoot };
  return { config, sysfs: b.host.sysfs, vfPort: ipVfPort(b.host.ip), state: stateStore(config.stateDir), hostdevNetworks: () => new Set(['sriov']), definedDomains: () => [], report: new HookReport(), ...patch };
}

async function look(xml: string, patch: Partial<HookEnv> = {}) {
  const env = envOf(bench, patch);
  const done = await reconcileGuest(env, runningGuest(env, DomainXml.read(xml, 'live XML')));
  return { done, report: env.report };
}

describe('a <hostdev> VF hot-plugged with plain virsh attach-device', () => {
  test('gets every setting its metadata asks for, and is recorded as the hooks record it, with its state from before', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { mac: '02:00:00:00:00:21', vlan: 7 });
    const { done, report } = await look(hostdevLive);
    expect(done).toEqual({ plugged: 1, unplugged: 0, repaired: 0, failed: 0 });
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true, spoofchk: false, max_tx: 100 });
    expect(bench.records()).toMatchObject([{
      pci: '0000:01:10.2', owner: { name: 'l2-hostdev', uuid: 'a867017f-86ba-459d-b491-76e079f3a4bd' }, style: 'hostdev', phase: 'running',
      original: { mac: '02:00:00:00:00:21', vlan: { id: 7 } },
    }]);
    expect(report.notes.join()).toContain('hostdev 0000:01:10.2: hot-plugged into l2-hostdev without virt-sriov; its settings put on');
    expect(report.changes.map((c) => `${c.setting} ${c.from} -> ${c.to}`)).toContain('vlan 7 -> 403');
  });

  test('a second look (a duplicated event, or the reconcile at the watcher\'s next start) reads and changes nothing', async () => {
    bench = HookBench.create([PF]);
    await look(hostdevLive);
    bench.takeIpCalls();
    const { done, report } = await look(hostdevLive);
    expect(done).toEqual({ plugged: 0, unplugged: 0, repaired: 0, failed: 0 });
    expect(bench.takeIpCalls().filter((c) => c.batch)).toEqual([]);
    expect(report.notes).toEqual([]);
  });

  test('then plain virsh detach-device: the VF goes back to what it was before the guest, and is free', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 1, { mac: '02:00:00:00:00:21', vlan: 7 });
    await look(hostdevLive);
    const { done, report } = await look(withoutHostdev(hostdevLive));
    expect(done).toEqual({ plugged: 0, unplugged: 1, repaired: 0, failed: 0 });
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: '02:00:00:00:00:21', vlan: 7, trust: false, spoofchk: true, max_tx: 0 });
    expect(bench.records()).toEqual([]);
    expect(report.notes.join()).toContain('eth0 vf 1 (0000:01:10.2)');
  });
});

describe('an <interface type=\'hostdev\'> hot-plugged with plain virsh', () => {
  test('keeps libvirt\'s MAC and VLAN and gets what libvirt can\'t set (trust, spoof checking) from the metadata; release leaves a clean VF', async () => {
    bench = HookBench.create([PF]);
    // libvirt set the MAC and VLAN of the XML as it plugged the VF in
    bench.host.setVf('eth0', 0, { mac: '52:54:00:aa:00:01', vlan: 403 });
    const live = withMetadata(captureStdin('qemu.l2-iface.started.begin.xml'), ["<sriov:vf interface-mac='52:54:00:aa:00:01' trust='on' spoofchk='off'/>"]);
    await look(live);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '52:54:00:aa:00:01', vlan: 403, trust: true, spoofchk: false });
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.0', style: 'interface', original: null, phase: 'running' }]);
    await look(live.replace(/\s*<interface type='hostdev'[\s\S]*?<\/interface>/, ''));
    expect(bench.host.vf('eth0', 0)).toMatchObject({ vlan: 0, trust: false, spoofchk: true });
    expect(bench.records()).toEqual([]);
  });
});

describe('a network-style NIC hot-plugged with plain virsh (port-created claims, no qemu hook runs)', () => {
  const NET = "<sriov:vf interface-mac='52:54:00:bb:00:01' trust='on' spoofchk='off'/>";
  const netLive = withMetadata(captureStdin('qemu.l2-net.started.begin.xml'), [NET]);
  const portCreated = captureStdin('network.sriov.port-created.begin.xml');
  const portDeleted = captureStdin('network.sriov.port-deleted.begin.xml');

  test('gets what the guest asks over the network\'s defaults, keeps port-created\'s state from before, is the running guest\'s; port-deleted puts it back', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 0, { mac: '02:00:00:00:00:31', vlan: 7 });
    const before = bench.host.vf('eth0', 0);
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    bench.host.setVf('eth0', 0, { mac: '52:54:00:bb:00:01', vlan: 403 }); // libvirt, as it readies the device
    // the watcher reads the same config as the hooks: the network's defaults
    const { done, report } = await look(netLive, { config: { ...envOf(bench).config, networks: { sriov: { maxTxRate: 50, trust: false } } } });
    expect(done).toEqual({ plugged: 1, unplugged: 0, repaired: 0, failed: 0 });
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '52:54:00:bb:00:01', vlan: 403, trust: true, spoofchk: false, max_tx: 50 });
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.0', style: 'network', network: 'sriov', phase: 'running', original: { mac: '02:00:00:00:00:31', vlan: { id: 7 } } }]);
    expect(report.notes.join()).toContain("interface 52:54:00:bb:00:01: network sriov's VF in l2-net, claimed at port-created but never set up (hot-plugged without virt-sriov); its settings put on");

    // a duplicated event: nothing more
    bench.takeIpCalls();
    expect((await look(netLive)).done).toEqual({ plugged: 0, unplugged: 0, repaired: 0, failed: 0 });
    expect(bench.takeIpCalls().filter((c) => c.batch)).toEqual([]);

    // plain virsh detach-device: libvirt puts its MAC and VLAN back, port-deleted the rest, and frees it
    bench.host.setVf('eth0', 0, { mac: before.mac, vlan: before.vlan });
    expect((await bench.run('network', 'sriov port-deleted begin -', portDeleted)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toEqual(before);
    expect(bench.records()).toEqual([]);
  });

  test('a VF an attach --live is still hot-plugging is its to settle; once that CLI is gone (its entry expired), the settings the hook put on are checked and the VF is the running guest\'s', async () => {
    bench = HookBench.create([PF]);
    const owner = { name: 'l2-net', uuid: 'befeb890-a16e-4a2e-b82d-0554ccc499c9' };
    const plugs = stateStore(join(bench.dir, 'state')).plugs;
    const plug = { owner, mac: '52:54:00:bb:00:01', network: 'sriov', label: 'interface 52:54:00:bb:00:01', settings: { mac: '52:54:00:bb:00:01', trust: true, spoofchk: false }, expires: new Date(Date.now() + 60_000).toISOString() };
    plugs.put(plug);
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ trust: true, spoofchk: false });
    bench.takeIpCalls();
    expect((await look(netLive)).done).toEqual({ plugged: 0, unplugged: 0, repaired: 0, failed: 0 });
    expect(bench.records()).toMatchObject([{ phase: 'claimed' }]);

    // the CLI was killed before it settled the VF; libvirt's VLAN is on, the hook's settings stay
    plugs.put({ ...plugs.find(owner, plug.mac)!, expires: new Date(Date.now() - 1).toISOString() });
    const { done, report } = await look(netLive);
    expect(done).toEqual({ plugged: 1, unplugged: 0, repaired: 0, failed: 0 });
    expect(report.notes.join()).toContain('(its attach --live ended before it settled it)');
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '52:54:00:bb:00:01', vlan: 403, trust: true, spoofchk: false });
    expect(bench.records()).toMatchObject([{ phase: 'running', guest: { trust: true, spoofchk: false } }]);
    expect(plugs.all()).toEqual([]);
  });
});

describe('drift', () => {
  test('a held VF that lost its settings (a PF down and up, a driver reset) gets them back, and the note says what had drifted', async () => {
    bench = HookBench.create([PF]);
    await look(hostdevLive);
    bench.host.setVf('eth0', 1, { vlan: 0, trust: false }); // i40e and ice wipe VF settings on a reset
    const { done, report } = await look(hostdevLive);
    expect(done.repaired).toBe(1);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 403, trust: true, mac: 'de:ad:fe:ed:ff:01' });
    expect(report.notes.join()).toMatch(/eth0 vf 1 \(0000:01:10\.2\) of l2-hostdev had drifted \(vlan none, not 403; trust off, not on\): repaired/);
  });

  test('what was repaired is in the report by VF and setting, for the log line the metrics count; a repair that failed is not', async () => {
    bench = HookBench.create([PF]);
    await look(hostdevLive);
    bench.host.setVf('eth0', 1, { vlan: 0, trust: false });
    const failing = { ...bench.host.ip, batch: async () => { throw new Error('RTNETLINK answers: Device or resource busy'); } };
    const failed = await look(hostdevLive, { vfPort: ipVfPort(failing) });
    expect(failed.done).toMatchObject({ repaired: 0, failed: 1 });
    expect(failed.report.repaired).toEqual([]);
    const { report } = await look(hostdevLive);
    expect(report.repaired).toEqual([{ pf: 'eth0', vf: 1, pci: '0000:01:10.2', settings: ['vlan', 'trust'] }]);
    expect((await look(hostdevLive)).report.repaired).toEqual([]);
  });

  test('a guest started by the hooks is in line: the watcher\'s look changes nothing', async () => {
    bench = HookBench.create([PF]);
    const prepare = withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), [HOSTDEV]);
    const start = withMetadata(captureStdin('qemu.l2-hostdev.start.begin.xml'), [HOSTDEV]);
    expect((await bench.run('qemu', 'l2-hostdev prepare begin -', prepare)).exitCode).toBe(0);
    expect((await bench.run('qemu', 'l2-hostdev start begin -', start)).exitCode).toBe(0);
    const before = bench.records();
    bench.takeIpCalls();
    const { done } = await look(hostdevLive);
    expect(done).toEqual({ plugged: 0, unplugged: 0, repaired: 0, failed: 0 });
    expect(bench.takeIpCalls().filter((c) => c.batch)).toEqual([]);
    expect(bench.records()).toEqual(before);
  });

  test('a VF claimed by a start or attach --live still under way is not touched', async () => {
    bench = HookBench.create([PF]);
    const prepare = withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), [HOSTDEV]);
    expect((await bench.run('qemu', 'l2-hostdev prepare begin -', prepare)).exitCode).toBe(0);
    bench.takeIpCalls();
    await look(hostdevLive);
    expect(bench.takeIpCalls().filter((c) => c.batch)).toEqual([]);
    expect(bench.records()).toMatchObject([{ phase: 'claimed' }]);
  });
});

describe('a watcher killed half way', () => {
  test('killed after the record, before the settings took: its next look finds the VF held and puts the settings on', async () => {
    bench = HookBench.create([PF]);
    const killed = { ...bench.host.ip, batch: async () => { throw new Error('killed'); } };
    const first = await look(hostdevLive, { vfPort: ipVfPort(killed) });
    expect(first.done.failed).toBe(1);
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.2', phase: 'running' }]);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 0 });
    const { done } = await look(hostdevLive);
    expect(done.repaired).toBe(1);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true, spoofchk: false, max_tx: 100 });
  });
});

describe('what the watcher leaves alone', () => {
  test('a VF the state gives another guest: nothing changes, the note names that guest', async () => {
    bench = HookBench.create([PF]);
    const other = captureStdin('qemu.l2-hostdev.started.begin.xml').replace('<name>l2-hostdev</name>', '<name>db1</name>').replace('a867017f-86ba-459d-b491-76e079f3a4bd', '0a0a0a0a-86ba-459d-b491-76e079f3a4bd');
    await look(other);
    bench.host.setVf('eth0', 1, { vlan: 9 });
    const { report } = await look(hostdevLive);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 9 });
    expect(report.notes.join()).toContain("virt-sriov records it as guest db1's: left alone");
  });

  test('a driver that can\'t do a setting: the VF is recorded, nothing half set, and the note names the driver', async () => {
    bench = HookBench.create([PF]);
    const { done, report } = await look(withMetadata(captureStdin('qemu.l2-hostdev.started.begin.xml'), ["<sriov:vf pci='0000:01:10.2' link-state='disable'/>"]));
    expect(done.failed).toBe(1);
    expect(report.notes.join()).toMatch(/driver igb can't do link state disable/);
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 0, link_state: 'auto' });
  });
});

describe('prepare: metadata for a VF the domain doesn\'t have yet (a hot-plug to come)', () => {
  test('is a note in the log, not a refusal: the guest starts', async () => {
    bench = HookBench.create([PF]);
    const prepare = withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), [HOSTDEV, "<sriov:vf pci='0000:01:10.0' vlan='404'/>"]);
    const r = await bench.run('qemu', 'l2-hostdev prepare begin -', prepare);
    expect(r.exitCode).toBe(0);
    expect(bench.lastLog().notes.join()).toMatch(/metadata has settings for .*0000:01:10\.0.*which the domain doesn't have \(yet\)/);
  });
});
