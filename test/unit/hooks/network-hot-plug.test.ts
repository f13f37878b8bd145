/**
 * A network-style NIC that `virt-sriov attach --live` hot-plugs: libvirt's pool picks the VF and
 * runs the network hook's port-created before it readies the device, and no qemu hook runs at
 * all. The CLI leaves the NIC's settings in the state (src/state/pending-plug.ts); the hook puts
 * them on the VF it claims, so the VF carries every one before the guest sees it.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pendingPlugs, PLUG_TTL_MS, type PendingPlug } from '../../../src/state/pending-plug.js';
import { captureStdin, FRESH_VF } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

const PF = { name: 'eth0', pci: '0000:01:00.0', numVfs: 2 };
const portCreated = captureStdin('network.sriov.port-created.begin.xml'); // l2-net, 52:54:00:bb:00:01, VLAN 403, VF 0000:01:10.0
const portDeleted = captureStdin('network.sriov.port-deleted.begin.xml');
const OWNER = { name: 'l2-net', uuid: 'befeb890-a16e-4a2e-b82d-0554ccc499c9' };
const MAC = '52:54:00:bb:00:01';
const BEFORE = { mac: '02:00:00:00:00:07', vlan: 9 };

let bench: HookBench;
afterEach(() => bench?.remove());

const plugs = () => pendingPlugs(join(bench.dir, 'state'));
function announce(over: Partial<PendingPlug> = {}): void {
  plugs().put({
    owner: OWNER, mac: MAC, network: 'sriov', label: `interface ${MAC}`,
    settings: { mac: MAC, vlan: { id: 403 }, trust: true, spoofchk: false, maxTxRate: 100 },
    expires: new Date(Date.now() + PLUG_TTL_MS).toISOString(), ...over,
  });
}

describe('port-created of a NIC attach --live announced', () => {
  test('every setting is on the VF libvirt picked before libvirt readies it; the VF is claimed with its state from before, and the entry names it', async () => {
    bench = HookBench.create([PF], { networks: { sriov: { maxTxRate: 50, trust: false } } });
    bench.host.setVf('eth0', 0, BEFORE);
    const before = bench.host.vf('eth0', 0);
    announce({ settings: { mac: MAC, vlan: { id: 403 }, trust: true, spoofchk: false } });
    const r = await bench.run('network', 'sriov port-created begin -', portCreated);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    // the network's defaults under the guest's own settings
    expect(bench.host.vf('eth0', 0)).toEqual({ ...before, mac: MAC, vlan: 403, trust: true, spoofchk: false, max_tx: 50 });
    expect(bench.records()).toMatchObject([{
      pci: '0000:01:10.0', owner: OWNER, style: 'network', network: 'sriov', phase: 'claimed', portVlan: { id: 403 },
      original: { mac: BEFORE.mac, vlan: { id: 9 } }, guest: { mac: MAC, vlan: { id: 403 }, trust: true, spoofchk: false, maxTxRate: 50 },
    }]);
    expect(plugs().find(OWNER, MAC)).toMatchObject({ vf: '0000:01:10.0' });
    expect(bench.lastLog()).toMatchObject({ hook: 'network', op: 'port-created', result: 'ok' });
    expect(bench.lastLog().notes).toEqual(['eth0 vf 0 (0000:01:10.0): hot-plugged into l2-net by virt-sriov attach --live (interface 52:54:00:bb:00:01); its settings put on before libvirt hands it over']);

    // replayed at a daemon restart while the guest runs: nothing changes
    bench.takeIpCalls();
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    expect(bench.takeIpCalls().filter((c) => c.batch)).toEqual([]);

    // unplugged (or libvirt gave up on the hot-plug): port-deleted puts the VF back and frees it
    expect((await bench.run('network', 'sriov port-deleted begin -', portDeleted)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toEqual(before);
    expect(bench.records()).toEqual([]);
  });

  test('a setting the VF does not take: what went on comes off, nothing is claimed, and the hot-plug fails naming the VF', async () => {
    bench = HookBench.create([{ ...PF, refuses: ['max_tx_rate'] }]);
    bench.host.setVf('eth0', 0, BEFORE);
    const before = bench.host.vf('eth0', 0);
    announce();
    const r = await bench.run('network', 'sriov port-created begin -', portCreated);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("network sriov: eth0 vf 0 (0000:01:10.0), picked for l2-net's interface 52:54:00:bb:00:01: `ip link set dev eth0 vf 0 min_tx_rate 0 max_tx_rate 100` failed: RTNETLINK answers: Operation not supported. The VF was put back as it was, and l2-net does not get the NIC");
    expect(bench.host.vf('eth0', 0)).toEqual(before);
    expect(bench.records()).toEqual([]);
    expect(plugs().find(OWNER, MAC)?.vf).toBeUndefined();
  });

  test('a setting the driver cannot do is refused before anything changes (igb: no link state)', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 0, BEFORE);
    const before = bench.host.vf('eth0', 0);
    announce({ settings: { mac: MAC, linkState: 'disable' } });
    bench.takeIpCalls();
    const r = await bench.run('network', 'sriov port-created begin -', portCreated);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("interface 52:54:00:bb:00:01 is VF 0 of PF eth0, whose driver igb can't do link state disable (igb has no way to set a VF's link state); nothing was changed");
    expect(bench.takeIpCalls().filter((c) => c.batch)).toEqual([]);
    expect(bench.host.vf('eth0', 0)).toEqual(before);
    expect(bench.records()).toEqual([]);
  });

  test('an entry of another NIC, another guest, or one that expired (its CLI was killed) is not used: a plain claim, as at a guest start; the expired one goes', async () => {
    bench = HookBench.create([PF]);
    announce({ mac: '52:54:00:bb:00:02' });
    announce({ owner: { name: 'other', uuid: 'aaaaaaaa-a16e-4a2e-b82d-0554ccc499c9' } });
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toEqual(FRESH_VF);
    expect(bench.records()).toMatchObject([{ pci: '0000:01:10.0', phase: 'claimed', guest: {} }]);
    await bench.run('network', 'sriov port-deleted begin -', portDeleted);

    announce({ expires: 'soon' }); // no time: passed
    expect(plugs().find(OWNER, MAC)).toBeNull();
    announce({ expires: new Date(Date.now() - 1000).toISOString() });
    expect((await bench.run('network', 'sriov port-created begin -', portCreated)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toEqual(FRESH_VF);
    expect(plugs().all().map((p) => `${p.owner.name} ${p.mac}`).sort()).toEqual(['l2-net 52:54:00:bb:00:02', 'other 52:54:00:bb:00:01']);
  });

  test('a port whose MAC or owner UUID is of another form (hook stdin is not to be trusted) names no entry, never a file outside the state dir', async () => {
    bench = HookBench.create([PF]);
    // the files a naive join of state/plugs/, the UUID and the MAC would reach (and remove: no entry in them)
    const cases = [
      { uuid: 'befeb890-a16e-4a2e-b82d-0554ccc499c9', mac: '/../../../victim', victim: join(bench.dir, 'victim.json') },
      { uuid: '../../victim', mac: '52:54:00:bb:00:01', victim: join(bench.dir, 'victim_525400bb0001.json') },
    ];
    for (const { uuid, mac, victim } of cases) {
      writeFileSync(victim, '{}');
      const stdin = portCreated.replace('befeb890-a16e-4a2e-b82d-0554ccc499c9', uuid).replace("mac address='52:54:00:bb:00:01'", `mac address='${mac}'`);
      await bench.run('network', 'sriov port-created begin -', stdin);
      expect(existsSync(victim)).toBe(true);
      await bench.run('network', 'sriov port-deleted begin -', portDeleted);
    }
    expect(() => plugs().put({ owner: OWNER, mac: '../x', network: 'sriov', label: 'x', settings: {}, expires: new Date().toISOString() })).toThrow('not a MAC address');
  });

  test('the pool picks a VF pinned to this same guest (libvirt\'s pool does not see pinned VFs): refused, and the port\'s release leaves the guest\'s pinned VF as it is, still claimed', async () => {
    bench = HookBench.create([PF]);
    const pinned = "<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01' vlan='480' trust='on'/>";
    expect((await bench.run('qemu', 'l2-hostdev prepare begin -', withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), [pinned]))).exitCode).toBe(0);
    expect((await bench.run('qemu', 'l2-hostdev start begin -', withMetadata(captureStdin('qemu.l2-hostdev.start.begin.xml'), [pinned]))).exitCode).toBe(0);
    bench.host.bindVf('eth0', 1, 'vfio-pci');
    const vf1 = bench.host.vf('eth0', 1);
    const records = bench.records();
    expect(records).toMatchObject([{ pci: '0000:01:10.2', owner: { name: 'l2-hostdev' }, style: 'hostdev', phase: 'running' }]);
    // attach --live l2-hostdev --network sriov: libvirt's pool hands out VF 1, which it has not given out itself
    const owner = { name: 'l2-hostdev', uuid: 'a867017f-86ba-459d-b491-76e079f3a4bd' };
    announce({ owner });
    const port = portCreated.replace('<name>l2-net</name>', '<name>l2-hostdev</name>').replace(OWNER.uuid, owner.uuid)
      .replace("slot='0x10' function='0x0'/>\n    </plug>", "slot='0x10' function='0x2'/>\n    </plug>");
    const r = await bench.run('network', 'sriov port-created begin -', port);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('network sriov: VF 0000:01:10.2 that libvirt picked for l2-hostdev is held by l2-hostdev itself, as its hostdev');
    expect(plugs().find(owner, MAC)?.vf).toBeUndefined();
    // libvirt releases the port it could not use
    expect((await bench.run('network', 'sriov port-deleted begin -', port)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 1)).toEqual(vf1);
    expect(bench.records()).toEqual(records);
  });
});
