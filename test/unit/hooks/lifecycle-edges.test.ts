/**
 * Where virt-sriov's state and the host part ways: a record lost while a network-style guest
 * runs, a port deleted without a stop (hot-unplug), a reconnect with a VF it can't find, a VLAN
 * only in the metadata of an <interface type='hostdev'>, a VLAN only on the network.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { DRIVER_PROFILES } from '../../../src/drivers/driver-profiles.js';
import { captureStdin } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

const PF = { name: 'eth0', pci: '0000:01:00.0', numVfs: 2, refuses: ['state', 'proto'] };
const portCreated = captureStdin('network.sriov.port-created.begin.xml');
const portDeleted = captureStdin('network.sriov.port-deleted.begin.xml');
const netPrepare = captureStdin('qemu.l2-net.prepare.begin.xml');
const netStart = captureStdin('qemu.l2-net.start.begin.xml');
const netRelease = captureStdin('qemu.l2-net.release.end.xml');
const GUEST_MAC = 'de:ad:fe:ed:ff:07';

let bench: HookBench;
afterEach(() => bench?.remove());

/** A port as libvirt's hookData has it, for another guest (or with the network's VLAN). */
const port = (name: string, uuid: string, vlan: number | null) => portCreated
  .replace(/<name>l2-net<\/name>/, `<name>${name}</name>`).replace(/befeb890-a16e-4a2e-b82d-0554ccc499c9/, uuid)
  .replace(/<vlan>[\s\S]*?<\/vlan>/, vlan === null ? '' : `<vlan>\n      <tag id='${vlan}'/>\n    </vlan>`);

describe('a network-style guest whose record was lost', () => {
  test('port-created replayed at a daemon restart adopts the VF as it is; the guest\'s stop leaves it clean, and the next guest\'s stop does not bring the old VLAN back', async () => {
    bench = HookBench.create([PF]);
    // the guest runs on VF 0 (libvirt set its MAC and VLAN 407), and virt-sriov's state is gone
    bench.host.setVf('eth0', 0, { mac: GUEST_MAC, vlan: 407 });
    bench.host.bindVf('eth0', 0, 'vfio-pci');
    expect((await bench.run('network', 'sriov port-created begin -', port('l2-net', 'befeb890-a16e-4a2e-b82d-0554ccc499c9', 407))).exitCode).toBe(0);
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.0', owner: { name: 'l2-net' }, original: null, phase: 'running' }]);
    expect(bench.lastLog().notes.join()).toContain('adopted for l2-net as it is');
    // the guest stops: stopped, libvirt gives the VF back, port-deleted, release
    await bench.run('qemu', 'l2-net stopped end -', netRelease);
    bench.host.bindVf('eth0', 0, 'igbvf');
    await bench.run('network', 'sriov port-deleted begin -', portDeleted);
    await bench.run('qemu', 'l2-net release end -', netRelease);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0 });
    expect(bench.records()).toEqual([]);
    // the next guest on that VF: claimed free, and put back free
    const next = port('other', 'aaaaaaaa-a16e-4a2e-b82d-0554ccc499c9', null);
    expect((await bench.run('network', 'sriov port-created begin -', next)).exitCode).toBe(0);
    bench.host.setVf('eth0', 0, { mac: '52:54:00:00:00:99' });
    await bench.run('network', 'sriov port-deleted begin -', next.replace('port-created', 'port-deleted'));
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0 });
    expect(bench.log().flatMap((e) => e.changes).filter((c) => c.setting === 'vlan' && c.to === '407')).toEqual([]);
  });
});

describe('port-deleted puts the VF back and frees it', () => {
  test('a network-style NIC hot-unplugged (no qemu hook runs): the VF is clean and the pool\'s next guest gets it', async () => {
    bench = HookBench.create([PF]);
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    bench.host.setVf('eth0', 0, { mac: '52:54:00:bb:00:01', vlan: 403 }); // libvirt
    const r = await bench.run('network', 'sriov port-deleted begin -', portDeleted);
    expect(r).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0 });
    expect(bench.records()).toEqual([]);
    const next = await bench.run('network', 'sriov port-created begin -', port('other', 'aaaaaaaa-a16e-4a2e-b82d-0554ccc499c9', null));
    expect(next.exitCode).toBe(0);
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.0', owner: { name: 'other' }, phase: 'claimed' }]);
  });

  test('a VLAN clear the driver refuses (EPERM): port-deleted names the VF and the VLAN it keeps, as release does, and still frees the record', async () => {
    bench = HookBench.create([{ ...PF, faults: { vlanClear: 'EPERM' } }]);
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    bench.host.setVf('eth0', 0, { mac: '52:54:00:bb:00:01', vlan: 403 }); // libvirt
    expect((await bench.run('qemu', 'l2-net start begin -', netStart)).exitCode).toBe(0);
    const r = await bench.run('network', 'sriov port-deleted begin -', portDeleted);
    expect(r.exitCode).toBe(0); // libvirt ignores port-deleted's exit; the log and its stderr carry the error
    expect(r.stderr).toMatch(/^virt-sriov: eth0 vf 0 \(0000:01:10\.0\) still has l2-net's VLAN 403: the driver refused to take it away/);
    expect(bench.lastLog()).toMatchObject({ op: 'port-deleted', result: 'failed' });
    expect(bench.records()).toEqual([]);
  });

  test('a port of another guest, or of none we know: nothing touched, never a failure', async () => {
    bench = HookBench.create([PF]);
    await bench.run('network', 'sriov port-created begin -', port('other', 'aaaaaaaa-a16e-4a2e-b82d-0554ccc499c9', null));
    bench.host.setVf('eth0', 0, { vlan: 12 });
    expect((await bench.run('network', 'sriov port-deleted begin -', portDeleted)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ vlan: 12 });
    expect(bench.records()).toMatchObject([{ owner: { name: 'other' } }]);
  });
});

describe('the network\'s defaults and the driver table', () => {
  test('a fresh claim of a VF whose driver can\'t do the network\'s defaults is refused; the same port replayed for a running guest is adopted (a failure would kill it)', async () => {
    // igb has no VF link-state control
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }], { networks: { sriov: { linkState: 'enable' } } });
    const fresh = await bench.run('network', 'sriov port-created begin -', portCreated);
    expect(fresh.exitCode).toBe(1);
    expect(fresh.stderr).toMatch(/^virt-sriov: network sriov: VF 0000:01:10\.0 is VF 0 of PF eth0, whose driver igb can't do link state enable .*nothing was changed/);
    expect(bench.records()).toEqual([]);
    // a daemon restart while the guest runs on it, with no record
    bench.host.setVf('eth0', 0, { mac: GUEST_MAC, vlan: 403 });
    bench.host.bindVf('eth0', 0, 'vfio-pci');
    const replay = await bench.run('network', 'sriov port-created begin -', portCreated);
    expect(replay).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.0', owner: { name: 'l2-net' }, original: null, phase: 'running' }]);
  });
});

describe('reconnect adopts each VF on its own', () => {
  test('a PF that can\'t be read leaves the guest\'s VFs of other PFs adopted, and never fails', async () => {
    bench = HookBench.create([PF, { name: 'eth1', pci: '0000:02:00.0', numVfs: 1 }]);
    bench.host.setVf('eth0', 1, { vlan: 403 });
    const two = captureStdin('qemu.l2-hostdev.start.begin.xml').replace(/(<hostdev mode='subsystem'[\s\S]*?<\/hostdev>)/, (h) => `${h.replace("bus='0x01' slot='0x10' function='0x2'", "bus='0x02' slot='0x10' function='0x0'").replace(/<alias[^>]*\/>/, '').replace(/<address type='pci' domain='0x0000' bus='0x00'[^>]*\/>/, '')}\n    ${h}`);
    expect(two).toContain("bus='0x02' slot='0x10' function='0x0'");
    bench.host.update((s) => void delete s.pfs.eth1); // ip no longer knows eth1
    const r = await bench.run('qemu', 'l2-hostdev reconnect begin -', two);
    expect(r.exitCode).toBe(0);
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.2', owner: { name: 'l2-hostdev' }, original: null }]);
    expect(bench.lastLog()).toMatchObject({ result: 'failed', notes: expect.arrayContaining([expect.stringContaining('eth1 vf 0 (0000:02:10.0): not adopted')]) });
    // and its stop takes the adopted VF's VLAN away
    await bench.run('qemu', 'l2-hostdev stopped end -', captureStdin('qemu.l2-hostdev.stopped.end.xml'));
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 0 });
  });
});

describe('start plans from what it reads', () => {
  test.each(DRIVER_PROFILES.map((p) => p.driver))('an <interface type=\'hostdev\'> with its VLAN only in the metadata (convert for libvirt < 0.10) gets that VLAN (%s)', async (driver) => {
    bench = HookBench.create([{ ...PF, refuses: [], driver }]);
    const entry = "<sriov:vf interface-mac='52:54:00:aa:00:01' vlan='408'/>";
    const noVlan = (xml: string) => withMetadata(xml.replace(/\s*<vlan>[\s\S]*?<\/vlan>/, ''), [entry]);
    expect((await bench.run('qemu', 'l2-iface prepare begin -', noVlan(captureStdin('qemu.l2-iface.prepare.begin.xml')))).exitCode).toBe(0);
    bench.host.setVf('eth0', 0, { mac: '52:54:00:aa:00:01', vlan: 0 }); // libvirt: the XML's MAC, VLAN 0
    const r = await bench.run('qemu', 'l2-iface start begin -', noVlan(captureStdin('qemu.l2-iface.start.begin.xml')));
    expect(r).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: '52:54:00:aa:00:01', vlan: 408 });
  });

  test('a network-style guest with the VLAN only on the network (or its portgroup) keeps the VLAN libvirt set', async () => {
    bench = HookBench.create([PF]);
    const noVlan = (xml: string) => xml.replace(/\s*<vlan>[\s\S]*?<\/vlan>/g, '');
    expect((await bench.run('qemu', 'l2-net prepare begin -', noVlan(netPrepare))).exitCode).toBe(0);
    // the port carries the network's VLAN: libvirt resolved it from the network or portgroup
    expect((await bench.run('network', 'sriov port-created begin -', port('l2-net', 'befeb890-a16e-4a2e-b82d-0554ccc499c9', 409))).exitCode).toBe(0);
    bench.host.setVf('eth0', 0, { mac: '52:54:00:bb:00:01', vlan: 409 }); // libvirt
    const r = await bench.run('qemu', 'l2-net start begin -', noVlan(netStart));
    expect(r).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(bench.host.vf('eth0', 0)).toMatchObject({ vlan: 409 });
    expect(bench.lastLog().changes.filter((c) => c.setting === 'vlan')).toEqual([]);
  });
});
