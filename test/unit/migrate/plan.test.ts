import { describe, expect, test } from '@jest/globals';
import type { HostView, VfView } from '../../../src/fleet/host-view.js';
import { describePlan, planMigration, type GuestNic, type MigrateRequest } from '../../../src/migrate/plan.js';

const vf = (pci: string, index: number, use: VfView['use'] = null): VfView => ({ index, pci, driver: 'igbvf', netdev: null, listed: true, use });
const guest = (domain: string): VfView['use'] => ({ by: 'guest', holder: { domain, running: true, mac: null, alias: null } });

const source: HostView = {
  uri: 'qemu:///system', hostname: 'kvm1',
  pfs: [{ pci: '0000:03:00.0', netdev: 'eth1', driver: 'igb', totalVfs: 7, linkUp: true, physnets: [], vfs: [vf('0000:03:10.0', 0, guest('web')), vf('0000:03:10.2', 1, guest('web'))] }],
};
const destView = (free: number, pf = 'ens2f0'): HostView => ({
  uri: 'qemu+ssh://kvm2/system', hostname: 'kvm2.example.org',
  pfs: [{ pci: '0000:05:00.0', netdev: pf, driver: 'igb', totalVfs: 7, linkUp: true, physnets: [],
    vfs: [vf('0000:05:10.0', 0, guest('db1')), ...Array.from({ length: free }, (_, i) => vf(`0000:05:10.${2 * (i + 1)}`, i + 1))] }],
});

const pinned: GuestNic = { label: 'interface 52:54:00:00:00:01', style: 'interface', vf: '0000:03:10.0', network: null, failover: false };
const mapping = { 'fabric-a': { kvm1: ['eth1'], kvm2: ['ens2f0'] } };

function request(over: Partial<MigrateRequest> = {}): MigrateRequest {
  return {
    domain: 'web', running: true, nics: [pinned], sourceLocal: true, destHasDomain: false, mapping,
    source: { uri: 'qemu:///system', view: source, networks: [], marked: true },
    dest: { uri: 'qemu+ssh://kvm2/system', view: destView(2), networks: [], marked: true },
    ...over,
  };
}

const problems = (r: ReturnType<typeof planMigration>) => (r.ok ? [] : r.problems);

describe('migrate preflight: where each NIC goes, or why not', () => {
  test('a pinned NIC gets a free VF of a destination PF on the same physical network; a taken one is skipped', () => {
    const r = planMigration(request());
    expect(r).toEqual({ ok: true, plan: {
      domain: 'web', source: 'kvm1 (qemu:///system)', dest: 'kvm2.example.org (qemu+ssh://kvm2/system)',
      moves: [{ nic: pinned, unplug: true, to: 'vf', sourcePf: 'eth1', pf: 'ens2f0', vf: '0000:05:10.2', by: 'physical network fabric-a' }],
    } });
  });

  test('two NICs never get the same VF; the second is refused when only one is free', () => {
    const second = { ...pinned, label: 'interface 52:54:00:00:00:02', vf: '0000:03:10.2' };
    const ok = planMigration(request({ nics: [pinned, second] }));
    expect(ok.ok && ok.plan.moves.map((m) => m.to === 'vf' && m.vf)).toEqual(['0000:05:10.2', '0000:05:10.4']);
    const short = planMigration(request({ nics: [pinned, second], dest: { ...request().dest, view: destView(1) } }));
    expect(problems(short)).toEqual([
      "interface 52:54:00:00:00:02: VF 0000:03:10.2 is on kvm1's eth1; kvm2.example.org (qemu+ssh://kvm2/system) has no free VF on ens2f0 (1 of 2 VFs free)",
    ]);
  });

  test('no mapping and no hostdev network: refused, never the destination\'s only PF', () => {
    expect(problems(planMigration(request({ mapping: {} })))).toEqual([
      "interface 52:54:00:00:00:01: VF 0000:03:10.0 is on kvm1's eth1, which is on no physical network in the config and in no hostdev network"
      + ' (map both hosts\' PFs in physicalNetworks: {"NET": {"kvm1": ["eth1"], "kvm2.example.org": ["PF"]}})',
    ]);
  });

  test('mapped on the source, nothing mapped on the destination: refused, naming the network', () => {
    expect(problems(planMigration(request({ mapping: { 'fabric-a': { kvm1: ['eth1'] } } }))))
      .toEqual([expect.stringContaining("VF 0000:03:10.0 is on kvm1's eth1, but kvm2.example.org (qemu+ssh://kvm2/system) has no PF on physical network fabric-a")]);
  });

  test('the mapped PF isn\'t an SR-IOV PF on the destination: refused, saying so', () => {
    const r = planMigration(request({ dest: { ...request().dest, view: destView(2, 'ens9') } }));
    expect(problems(r)).toEqual([expect.stringContaining('has no free VF on ens2f0 (not an SR-IOV PF there)')]);
  });

  test('matched by hostdev network name when the config maps nothing', () => {
    const pool = { name: 'sriov', active: true, hostdev: true, pf: null };
    const r = planMigration(request({
      mapping: {},
      source: { ...request().source, networks: [{ ...pool, pf: 'eth1' }] },
      dest: { ...request().dest, networks: [{ ...pool, pf: 'ens2f0' }] },
    }));
    expect(r.ok && r.plan.moves[0]).toMatchObject({ to: 'vf', pf: 'ens2f0', vf: '0000:05:10.2', by: 'hostdev network sriov' });
  });

  test('a source VF no PF lists: refused (its network is unknown)', () => {
    expect(problems(planMigration(request({ nics: [{ ...pinned, vf: '0000:09:10.0' }] }))))
      .toEqual([expect.stringContaining('VF 0000:09:10.0 is a VF of no PF kvm1 (qemu:///system) lists')]);
  });

  describe('a network-style NIC: the destination\'s hostdev network of the same name', () => {
    const netNic: GuestNic = { label: 'interface 52:54:00:00:00:09', style: 'network', vf: null, network: 'sriov', failover: false };
    const net = { name: 'sriov', active: true, hostdev: true, pf: 'ens2f0' };
    const withNet = (networks: MigrateRequest['dest']['networks'], free = 1, nics = [netNic]) =>
      planMigration(request({ nics, dest: { ...request().dest, view: destView(free), networks } }));

    test('goes to the pool, libvirt picking the VF; as many NICs as free VFs', () => {
      expect(withNet([net])).toMatchObject({ ok: true, plan: { moves: [{ to: 'pool', network: 'sriov', unplug: true }] } });
      expect(problems(withNet([net], 1, [netNic, { ...netNic, label: 'interface 52:54:00:00:00:0a' }])))
        .toEqual([expect.stringContaining('interface 52:54:00:00:00:0a: network sriov on kvm2.example.org (qemu+ssh://kvm2/system) has no free VF (its PF ens2f0: 1 of 2 VFs free)')]);
    });

    test('refused: no such network, not a hostdev pool, not running', () => {
      expect(problems(withNet([]))).toEqual([expect.stringContaining('has no hostdev network sriov')]);
      expect(problems(withNet([{ ...net, hostdev: false }]))).toEqual([expect.stringContaining("(sriov there is not a <forward mode='hostdev'> pool)")]);
      expect(problems(withNet([{ ...net, active: false }]))).toEqual([expect.stringContaining('network sriov is not running on kvm2.example.org (qemu+ssh://kvm2/system) (virsh net-start sriov there)')]);
    });
  });

  test('the guest and the hosts: not running, a namesake on the destination, no virt-sriov there, run from elsewhere; all named at once', () => {
    const r = planMigration(request({ running: false, destHasDomain: true, sourceLocal: false, dest: { ...request().dest, marked: false } }));
    expect(problems(r)).toEqual([
      expect.stringContaining('domain web is not running on kvm1 (qemu:///system)'),
      'kvm2.example.org (qemu+ssh://kvm2/system) already has a domain named web',
      expect.stringContaining("kvm2.example.org (qemu+ssh://kvm2/system) shows no virt-sriov: it has no network filter 'virt-sriov'"),
      expect.stringContaining('kvm1 (qemu:///system) is not this host: virt-sriov migrate unplugs'),
    ]);
  });

  test('a failover pair is not unplugged by virt-sriov, and may be moved from another host', () => {
    const r = planMigration(request({ nics: [{ ...pinned, failover: true }], sourceLocal: false }));
    expect(r.ok && r.plan.moves).toMatchObject([{ unplug: false, to: 'vf', vf: '0000:05:10.2' }]);
  });

  test('a guest with no SR-IOV NIC: a plain migration', () => {
    expect(planMigration(request({ nics: [] }))).toMatchObject({ ok: true, plan: { moves: [] } });
  });
});

describe('the plan in words (--dry-run)', () => {
  test('unplug, migrate, plug, and what a failure does', () => {
    const r = planMigration(request());
    if (!r.ok) throw new Error('planned');
    expect(describePlan(r.plan, { live: true, persistent: true, undefineSource: true, timeoutS: 30 })).toEqual([
      'unplug interface 52:54:00:00:00:01 from the running guest on kvm1 (qemu:///system); put VF 0000:03:10.0 back as it was and free it',
      'migrate web to kvm2.example.org (qemu+ssh://kvm2/system) through libvirt (live, defined there, undefined here; suspended if not done in 30 s)',
      "plug interface 52:54:00:00:00:01 in on VF 0000:05:10.2 of the destination's ens2f0 (physical network fabric-a), with its MAC, VLAN and settings on the VF before the guest sees it",
      'any failure before the guest runs on kvm2.example.org (qemu+ssh://kvm2/system): it stays on kvm1 (qemu:///system) with its VFs plugged back in and set as before',
    ]);
  });

  test('a failover pair: libvirt unplugs, the destination\'s hooks set the VF up', () => {
    const r = planMigration(request({ nics: [{ ...pinned, failover: true }] }));
    if (!r.ok) throw new Error('planned');
    const steps = describePlan(r.plan, { live: true, persistent: false, undefineSource: false });
    expect(steps[0]).toContain('libvirt unplugs its failover VF first');
    expect(steps[1]).toBe("interface 52:54:00:00:00:01 arrives on VF 0000:05:10.2 of the destination's ens2f0 (physical network fabric-a), set up by the destination's hooks before QEMU runs");
  });
});
