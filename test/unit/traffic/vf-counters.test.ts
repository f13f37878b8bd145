import { afterEach, describe, expect, test } from '@jest/globals';
import { readHost } from '../../../src/host/host-model.js';
import { parsePfLink, type VfStats } from '../../../src/host/ip-link.js';
import { DRIVER_PROFILES } from '../../../src/drivers/driver-profiles.js';
import { vfCounters, whyNoCounters } from '../../../src/traffic/vf-counters.js';
import { FakeHost, readFixture } from '../../support/fake-host.js';

const LAB = 'captures/lab-kernel6.1-igb';
const ZERO: VfStats = { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0, broadcast: 0, multicast: 0, rxDropped: 0, txDropped: 0 };

let host: FakeHost;
afterEach(() => host?.remove());

describe('ip -s -j link show, as a real igb PF printed it (lab, kernel 6.1, iproute2 6.1)', () => {
  test('every VF has its counters, all zero: the kernel fills zeros for a driver without ndo_get_vf_stats', () => {
    const link = parsePfLink(readFixture(LAB, 'ip-s-j-link.json'), 'eth0');
    expect(link.vfs.map((v) => v.stats)).toEqual([ZERO, ZERO]);
  });

  test('ip -s -j -batch - prints the same, one array per line', () => {
    const [line] = readFixture(LAB, 'ip-s-j-batch.json').split('\n');
    expect(parsePfLink(line!, 'eth0').vfs.map((v) => v.stats)).toEqual([ZERO, ZERO]);
  });

  test('without -s there are no counters: null, not zeros', () => {
    const link = parsePfLink(readFixture('captures/libvirt9.0-qemu7.2-igb', 'ip-j-link-after-all.json'), 'eth0');
    expect(link.vfs.map((v) => v.stats)).toEqual([null, null]);
  });

  test("each counter from iproute2's keys (rx.bytes, tx.tx_bytes, ...); a kernel without drop counters gives null drops", () => {
    const json = JSON.stringify([{ ifname: 'eth0', flags: ['UP'], vfinfo_list: [{
      vf: 0, address: '52:54:00:00:00:01',
      stats: { rx: { bytes: 1000, packets: 10, multicast: 2, broadcast: 3 }, tx: { tx_bytes: 2000, tx_packets: 20 } },
    }] }]);
    expect(parsePfLink(json, 'eth0').vfs[0]!.stats).toEqual({
      rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20, broadcast: 3, multicast: 2, rxDropped: null, txDropped: null,
    });
  });
});

describe('which counters tell a VF\'s traffic', () => {
  const seen: VfStats = { ...ZERO, rxBytes: 5000, rxPackets: 5, txBytes: 7000, txPackets: 7 };
  const vf = (stats: VfStats | null, netdevStats: VfStats | null = null) => ({ state: { stats } as never, netdevStats });

  test.each(DRIVER_PROFILES.map((p) => [p.driver, p.vfStats] as const))('%s: the PF\'s counters only where the driver keeps them (vfStats %s)', (driver, keeps) => {
    const c = vfCounters({ driver }, vf(seen));
    expect(c).toEqual(keeps ? { source: 'pf', ...seen } : null);
    expect(whyNoCounters({ driver }, vf(seen)) === null).toBe(keeps);
  });

  test('igb: the zeros ip prints are not shown as traffic; the reason names the driver', () => {
    expect(vfCounters({ driver: 'igb' }, vf(ZERO))).toBeNull();
    expect(whyNoCounters({ driver: 'igb' }, vf(ZERO))).toMatch(/^igb does not count traffic per VF \(no ndo_get_vf_stats\)/);
  });

  test('a VF bound to its host driver: its netdev counts it, whatever the PF does', () => {
    expect(vfCounters({ driver: 'igb' }, vf(ZERO, seen))).toEqual({ source: 'netdev', ...seen });
    expect(vfCounters({ driver: 'mlx5_core' }, vf(null, seen))).toEqual({ source: 'netdev', ...seen });
  });

  test('a driver the table does not know is taken at its word, zeros included', () => {
    expect(vfCounters({ driver: 'sfc' }, vf(ZERO))).toEqual({ source: 'pf', ...ZERO });
  });

  test('no counters from ip (an old kernel or iproute2) and no netdev: null, and why', () => {
    expect(vfCounters({ driver: 'mlx5_core' }, vf(null))).toBeNull();
    expect(whyNoCounters({ driver: 'mlx5_core' }, vf(null))).toMatch(/reported no per-VF counters/);
  });
});

describe('readHost with traffic: one ip read per PF, counters included', () => {
  test('mlx5: the PF counts a guest\'s VF; the VF bound to the host also has its netdev\'s counters', async () => {
    host = FakeHost.create([{ name: 'ens1f0', pci: '0000:3b:00.0', driver: 'mlx5_core', numVfs: 2 }, { name: 'ens1f1', pci: '0000:3c:00.0', driver: 'mlx5_core', numVfs: 1 }]);
    host.bindVf('ens1f0', 1, 'vfio-pci');
    host.countTraffic('ens1f0', 0, { rxBytes: 100, rxPackets: 1 });
    host.countTraffic('ens1f0', 1, { txBytes: 3000, txPackets: 2, txDropped: 4 });
    host.clearCalls();
    const model = await readHost(host.sysfs, host.ip, ['ens1f0', 'ens1f1'], { traffic: true });
    expect(host.calls().map((c) => c.argv)).toEqual([['-s', '-j', '-batch', '-']]);
    const [vf0, vf1] = model.pfs[0]!.vfs;
    expect(vf0!.state!.stats).toMatchObject({ rxBytes: 100, rxPackets: 1 });
    // the PF counts it: its netdev's counters are not read (7 sysfs files a VF)
    expect(vf0!.netdevStats).toBeNull();
    expect(vf1!.netdevStats).toBeNull(); // vfio-pci: no netdev
    expect(vfCounters(model.pfs[0]!, vf1!)).toMatchObject({ source: 'pf', txBytes: 3000, txPackets: 2, txDropped: 4 });
  });

  test("igb: a VF on igbvf is read from its netdev's counters, a VF on vfio-pci has none", async () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }]);
    host.bindVf('eth0', 1, 'vfio-pci');
    host.countTraffic('eth0', 0, { txBytes: 640, txPackets: 10 });
    const [vf0, vf1] = (await readHost(host.sysfs, host.ip, ['eth0'], { traffic: true })).pfs[0]!.vfs;
    expect(vf0!.netdevStats).toMatchObject({ txBytes: 640, txPackets: 10, broadcast: null });
    expect(vf1!.netdevStats).toBeNull();
  });

  test('without traffic, no -s (the hooks\' read) and no netdev counters', async () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 1 }]);
    host.clearCalls();
    const model = await readHost(host.sysfs, host.ip, ['eth0']);
    expect(host.calls().map((c) => c.argv)).toEqual([['-j', 'link', 'show', 'dev', 'eth0']]);
    expect(model.pfs[0]!.vfs[0]).toMatchObject({ netdevStats: null, state: { stats: null } });
  });
});
