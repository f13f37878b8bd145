/**
 * The live steps around libvirt's hot-plug (src/live/live-vf.ts) on a fake host that answers as
 * each driver does: the VF carries every setting before the device would reach the guest, a
 * failure at any step leaves it exactly as it was, and a VF the guest lets go is restored and free.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config.js';
import { HookReport, type HookEnv } from '../../../src/hooks/hook-env.js';
import { resolveVf } from '../../../src/host/vf-locate.js';
import { changeVf, readyVf, releaseVf, settleVf, undoVf, type LiveVf } from '../../../src/live/live-vf.js';
import { ipVfPort } from '../../../src/host/vf-port.js';
import { parsePciAddress } from '../../../src/model/pci-address.js';
import { stateStore } from '../../../src/state/state-store.js';
import { FakeHost, type FakePfSpec, type FakeVfState } from '../../support/fake-host.js';

let host: FakeHost;
let dir: string;
afterEach(() => {
  host?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setup(pf: Partial<FakePfSpec> = {}): HookEnv {
  host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 4, ...pf }]);
  dir = mkdtempSync(join(tmpdir(), 'virt-sriov-live-'));
  const config = { ...loadConfig(undefined), stateDir: join(dir, 'state'), logFile: join(dir, 'log') };
  return { config, sysfs: host.sysfs, vfPort: ipVfPort(host.ip), state: stateStore(config.stateDir), hostdevNetworks: () => new Set(), definedDomains: () => [], report: new HookReport() };
}

const OWNER = { name: 'fw1', uuid: '7c1b9a52-3c2e-4b8f-9d41-0a6f5e2b7c11' };
function target(env: HookEnv, i: number, settings: LiveVf['settings'], style: LiveVf['style'] = 'hostdev'): LiveVf {
  const vf = resolveVf(env, parsePciAddress(host.vfAddress('eth0', i)))!;
  return { owner: OWNER, label: `VF ${vf.pci}`, vf, style, network: null, settings };
}

const ASKED = { mac: '52:54:00:aa:00:01', vlan: { id: 403, qos: 3 }, trust: true, spoofchk: false, maxTxRate: 100 } as const;
const GIVEN: Partial<FakeVfState> = { mac: '52:54:00:aa:00:01', vlan: 403, qos: 3, trust: true, spoofchk: false, max_tx: 100 };

describe('readyVf: before libvirt plugs the VF in', () => {
  test('claims the VF with its state from before, and puts every setting on it', async () => {
    const env = setup();
    host.setVf('eth0', 1, { mac: '02:00:00:00:00:11', vlan: 7 });
    const before = host.vf('eth0', 1);
    const record = await readyVf(env, target(env, 1, ASKED));
    expect(host.vf('eth0', 1)).toMatchObject(GIVEN);
    expect(record).toMatchObject({ pci: host.vfAddress('eth0', 1), owner: OWNER, phase: 'claimed', original: { mac: before.mac, vlan: { id: 7 } } });
    expect(env.state.get(record.pci)).toEqual(record);
    expect(env.report.changes.map((c) => `${c.setting} ${c.from} -> ${c.to}`)).toEqual([
      'mac 02:00:00:00:00:11 -> 52:54:00:aa:00:01', 'vlan 7 -> 403:3', 'spoofchk on -> off', 'trust off -> on', 'minTxRate/maxTxRate 0/0 -> -/100',
    ]);
  });

  test('a VF with a VLAN left from before gets none unless asked, and trust off, spoof checking on', async () => {
    const env = setup();
    host.setVf('eth0', 0, { vlan: 99, trust: true, spoofchk: false });
    await readyVf(env, target(env, 0, { mac: '52:54:00:aa:00:02' }));
    expect(host.vf('eth0', 0)).toMatchObject({ vlan: 0, trust: false, spoofchk: true, mac: '52:54:00:aa:00:02' });
  });

  test('a VF another guest holds is refused, naming it, and nothing changes', async () => {
    const env = setup();
    await readyVf(env, { ...target(env, 2, {}), owner: { name: 'other', uuid: null } });
    const before = host.load();
    await expect(readyVf(env, target(env, 2, ASKED))).rejects.toThrow(/^domain fw1: VF 0000:01:10\.4 \(eth0 vf 2\) is held by guest other$/);
    expect(host.load().pfs).toEqual(before.pfs);
  });

  test('what the driver cannot do is refused before anything changes, naming the driver (igb: no link state)', async () => {
    const env = setup();
    const before = host.vf('eth0', 1);
    await expect(readyVf(env, target(env, 1, { ...ASKED, linkState: 'disable' }))).rejects.toThrow(/eth0, whose driver igb can't do link state disable/);
    expect(host.vf('eth0', 1)).toEqual(before);
    expect(env.state.all()).toEqual([]);
  });

  test('a setting the driver refuses half way: every setting already on the VF is put back, nothing is claimed', async () => {
    const env = setup({ refuses: ['trust'] });
    host.setVf('eth0', 3, { mac: '02:00:00:00:00:33', vlan: 12 });
    const before = host.vf('eth0', 3);
    await expect(readyVf(env, target(env, 3, ASKED))).rejects.toThrow();
    expect(host.vf('eth0', 3)).toEqual(before);
    expect(env.state.all()).toEqual([]);
  });
});

describe('after libvirt answered', () => {
  test('settleVf: what libvirt changed while plugging in (an <interface> gets MAC and VLAN from the XML) is put right; the VF is running', async () => {
    const env = setup();
    const record = await readyVf(env, target(env, 1, ASKED, 'interface'));
    host.setVf('eth0', 1, { vlan: 0, qos: 0 }); // libvirt without the VLAN in the XML writes VLAN 0
    const running = await settleVf(env, record);
    expect(host.vf('eth0', 1)).toMatchObject(GIVEN);
    expect(running.phase).toBe('running');
    expect(env.state.get(record.pci)!.phase).toBe('running');
    expect(env.report.notes).toContain(`eth0 vf 1 (${record.pci}): libvirt left vlan none; put right`);
  });

  test('undoVf: libvirt refused the device: the VF is exactly as it was, and free', async () => {
    const env = setup();
    host.setVf('eth0', 1, { mac: '02:00:00:00:00:11', vlan: 7, trust: false, max_tx: 50 });
    const before = host.vf('eth0', 1);
    const record = await readyVf(env, target(env, 1, ASKED));
    await undoVf(env, record);
    expect(host.vf('eth0', 1)).toEqual(before);
    expect(env.state.all()).toEqual([]);
  });

  test('releaseVf: the guest let the VF go: restored as release restores (nothing of the guest stays), then free; a second call finds nothing', async () => {
    const env = setup();
    host.setVf('eth0', 2, { mac: '02:00:00:00:00:22', vlan: 8 });
    const before = host.vf('eth0', 2);
    const record = await settleVf(env, await readyVf(env, target(env, 2, ASKED)));
    expect(await releaseVf(env, record.pci, { name: 'fw2', uuid: '0f1b9a52-3c2e-4b8f-9d41-0a6f5e2b7c11' })).toBe(false); // not its guest
    expect(await releaseVf(env, record.pci, OWNER)).toBe(true);
    expect(host.vf('eth0', 2)).toEqual(before);
    expect(env.state.all()).toEqual([]);
    expect(await releaseVf(env, record.pci, OWNER)).toBe(false);
  });
});

describe('changeVf: set --live on a VF the running guest has', () => {
  test('changes only what is asked, on the spot; the record keeps what the guest has now, and release still restores the VF from before the guest', async () => {
    const env = setup();
    host.setVf('eth0', 1, { mac: '02:00:00:00:00:11', vlan: 7 });
    const before = host.vf('eth0', 1);
    const t = target(env, 1, ASKED);
    await settleVf(env, await readyVf(env, t));
    env.report.changes.length = 0;
    const changes = await changeVf(env, OWNER, t.label, t.vf, { vlan: { id: 404 }, trust: false });
    expect(changes.map((c) => `${c.keys.join('/')} ${c.from} -> ${c.to}`)).toEqual(['vlan 403:3 -> 404', 'trust on -> off']);
    expect(env.report.changes.map((c) => c.setting)).toEqual(['vlan', 'trust']);
    expect(host.vf('eth0', 1)).toMatchObject({ ...GIVEN, vlan: 404, qos: 0, trust: false });
    expect(env.state.get(t.vf.pci)).toMatchObject({ phase: 'running', guest: { vlan: { id: 404 }, trust: false, spoofchk: false, maxTxRate: 100 } });
    expect(await releaseVf(env, t.vf.pci, OWNER)).toBe(true);
    expect(host.vf('eth0', 1)).toEqual(before);
  });

  test('a network-style NIC\'s VF (claimed by port-created for an attach --live): the record keeps its network, its original and the port\'s VLAN', async () => {
    const env = setup();
    host.setVf('eth0', 2, { vlan: 7 });
    const before = host.vf('eth0', 2);
    const t = { ...target(env, 2, { mac: '52:54:00:aa:00:03', vlan: { id: 44 } }, 'network'), network: 'sriov', portVlan: { id: 44 } };
    await settleVf(env, await readyVf(env, t));
    await changeVf(env, OWNER, t.label, t.vf, { trust: true });
    expect(env.state.get(t.vf.pci)).toMatchObject({ style: 'network', network: 'sriov', portVlan: { id: 44 }, original: { vlan: { id: 7 } }, guest: { vlan: { id: 44 }, trust: true } });
    expect(host.vf('eth0', 2)).toMatchObject({ vlan: 44, trust: true });
    expect(await releaseVf(env, t.vf.pci, OWNER)).toBe(true);
    expect(host.vf('eth0', 2)).toEqual(before);
  });

  test('untag (set --vlan none): the VF untagged, the guest recorded as asking for no VLAN (so the watcher keeps it so); release still restores', async () => {
    const env = setup();
    host.setVf('eth0', 1, { vlan: 7 });
    const before = host.vf('eth0', 1);
    const t = target(env, 1, ASKED);
    await settleVf(env, await readyVf(env, t));
    const changes = await changeVf(env, OWNER, t.label, t.vf, {}, true);
    expect(changes.map((c) => `${c.keys.join('/')} ${c.from} -> ${c.to}`)).toEqual(['vlan 403:3 -> none']);
    expect(host.vf('eth0', 1)).toMatchObject({ ...GIVEN, vlan: 0, qos: 0 });
    expect(env.state.get(t.vf.pci)).toMatchObject({ phase: 'running', guest: { vlan: null, trust: true } });
    expect(await releaseVf(env, t.vf.pci, OWNER)).toBe(true);
    expect(host.vf('eth0', 1)).toEqual(before);
  });

  test('what the driver cannot do is refused before anything changes; a change the driver refuses half way puts back what this call changed', async () => {
    const env = setup({ refuses: ['max_tx_rate'] });
    const t = target(env, 2, { mac: '52:54:00:aa:00:02' });
    await settleVf(env, await readyVf(env, t));
    const before = host.vf('eth0', 2);
    const record = env.state.get(t.vf.pci);
    await expect(changeVf(env, OWNER, t.label, t.vf, { linkState: 'enable' })).rejects.toThrow(/whose driver igb can't do link state enable/);
    await expect(changeVf(env, OWNER, t.label, t.vf, { vlan: { id: 5 }, maxTxRate: 10 })).rejects.toThrow();
    expect(host.vf('eth0', 2)).toEqual(before);
    expect(env.state.get(t.vf.pci)).toEqual(record);
  });

  test('another guest\'s VF is refused; a VF with no record is adopted as it is (release will leave a clean VF)', async () => {
    const env = setup();
    await readyVf(env, { ...target(env, 0, {}), owner: { name: 'other', uuid: null } });
    const t = target(env, 0, {});
    await expect(changeVf(env, OWNER, t.label, t.vf, { trust: true })).rejects.toThrow(/is held by guest other/);
    const free = target(env, 3, {});
    await changeVf(env, OWNER, free.label, free.vf, { trust: true });
    expect(env.state.get(free.vf.pci)).toMatchObject({ owner: OWNER, original: null, phase: 'running', guest: { trust: true } });
    expect(env.report.notes).toContain(`eth0 vf 3 (${free.vf.pci}): adopted for fw1 (no record of it: release will leave a clean VF)`);
  });
});
