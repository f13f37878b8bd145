import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OperationError } from '../../../src/errors.js';
import { readHost, locateVf, isVf, listPfNames, pfNetdev } from '../../../src/host/host-model.js';
import type { IpTool } from '../../../src/host/ip.js';
import { parsePfLink } from '../../../src/host/ip-link.js';
import { parsePciAddress } from '../../../src/model/pci-address.js';
import { FakeHost, readFixture, CAPTURES } from '../../support/fake-host.js';

let host: FakeHost;
afterEach(() => host?.remove());

describe('ip -j link show, as a real igb PF printed it', () => {
  test('reads MAC, VLAN, QoS, rates, spoofchk, trust and link state of each VF', () => {
    const link = parsePfLink(readFixture(CAPTURES, 'ip-j-link-after-all.json'), 'eth0');
    expect(link).toMatchObject({ ifname: 'eth0', up: true });
    expect(link.vfs).toEqual([
      { vf: 0, mac: 'de:ad:fe:ed:ff:01', vlan: 403, qos: 3, spoofchk: false, trust: true, linkState: 'auto', minTxRate: 0, maxTxRate: 100, queryRss: null, stats: null },
      { vf: 1, mac: 'de:ad:fe:ed:ff:02', vlan: 0, qos: 0, spoofchk: true, trust: false, linkState: 'auto', minTxRate: 0, maxTxRate: 0, queryRss: null, stats: null },
    ]);
  });
});

describe('host model on a fake sysfs', () => {
  test('finds the PF, its VF limit and count, and each VF with PCI address, netdev, driver and IOMMU group', async () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }]);
    host.setVf('eth0', 0, { mac: 'de:ad:fe:ed:ff:01', vlan: 403 });
    host.bindVf('eth0', 1, 'vfio-pci');
    const model = await readHost(host.sysfs, host.ip);
    expect(model.pfs).toHaveLength(1);
    const pf = model.pfs[0]!;
    expect(pf).toMatchObject({ name: 'eth0', pci: '0000:01:00.0', driver: 'igb', totalVfs: 7, numVfs: 2, up: true });
    expect(pf.vfs.map((v) => [v.vf, v.pci, v.netdev, v.driver, v.iommuGroup])).toEqual([
      [0, '0000:01:10.0', 'eth0v0', 'igbvf', 20],
      [1, '0000:01:10.2', null, 'vfio-pci', 21],
    ]);
    expect(pf.vfs[0]!.state).toMatchObject({ mac: 'de:ad:fe:ed:ff:01', vlan: 403 });
  });

  test('locates a VF on its PF from physfn and virtfnN', () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 3 }]);
    expect(locateVf(host.sysfs, parsePciAddress('0000:01:10.4'))).toEqual({ pfPci: '0000:01:00.0', index: 2 });
    expect(isVf(host.sysfs, parsePciAddress('0000:01:10.2'))).toBe(true);
    expect(isVf(host.sysfs, parsePciAddress('0000:01:00.0'))).toBe(false);
    expect(locateVf(host.sysfs, parsePciAddress('0000:05:00.0'))).toBeNull();
  });

  test('a host without SR-IOV NICs has no PFs', async () => {
    host = FakeHost.create([]);
    expect(listPfNames(host.sysfs)).toEqual([]);
    expect((await readHost(host.sysfs, host.ip)).pfs).toEqual([]);
  });
});

describe('ip -j link show, other shapes', () => {
  const link = (extra: Record<string, unknown>) => JSON.stringify([{ ifname: 'eth1', flags: ['BROADCAST', 'MULTICAST'], ...extra }]);

  test('the first capture: VF 0 with a MAC and VLAN, VF 1 fresh', () => {
    const parsed = parsePfLink(readFixture(CAPTURES, 'ip-j-link-after-vf0.json'), 'eth0');
    expect(parsed.vfs.map((v) => [v.vf, v.mac, v.vlan, v.qos, v.maxTxRate])).toEqual([
      [0, 'de:ad:fe:ed:ff:01', 403, 0, 0],
      [1, '00:00:00:00:00:00', 0, 0, 0],
    ]);
  });

  test('older iproute2: vlan/qos and max_tx_rate/min_tx_rate fields, upper-case MAC', () => {
    const parsed = parsePfLink(link({ vfinfo_list: [{ vf: 0, mac: 'DE:AD:FE:ED:FF:01', vlan: 42, qos: 2, max_tx_rate: 500, min_tx_rate: 10, spoofchk: true, link_state: 'enable' }] }), 'eth1');
    expect(parsed.vfs).toEqual([{ vf: 0, mac: 'de:ad:fe:ed:ff:01', vlan: 42, qos: 2, spoofchk: true, trust: null, linkState: 'enable', minTxRate: 10, maxTxRate: 500, queryRss: null, stats: null }]);
  });

  test('a PF that is down, without VFs', () => {
    expect(parsePfLink(link({}), 'eth1')).toEqual({ ifname: 'eth1', up: false, vfs: [] });
  });

  test('an unknown link state is reported as none', () => {
    expect(parsePfLink(link({ vfinfo_list: [{ vf: 0, link_state: 'weird' }] }), 'eth1').vfs[0]!.linkState).toBeNull();
  });

  test('output that is not JSON, or names no link, is an operation error naming the PF', () => {
    expect(() => parsePfLink('Device "eth9" does not exist.', 'eth9')).toThrow(OperationError);
    expect(() => parsePfLink('Device "eth9" does not exist.', 'eth9')).toThrow('ip -j link show dev eth9 printed something that is not JSON');
    expect(() => parsePfLink('[]', 'eth9')).toThrow('ip -j link show dev eth9 reported no link');
  });
});

describe('host model, more of it', () => {
  test('several PFs, sorted by name; netdevs without sriov_totalvfs are not PFs', async () => {
    host = FakeHost.create([{ name: 'eth1', pci: '0000:02:00.0', numVfs: 1 }, { name: 'eth0', pci: '0000:01:00.0' }]);
    mkdirSync(join(host.sysRoot, 'class/net/lo'), { recursive: true });
    expect(listPfNames(host.sysfs)).toEqual(['eth0', 'eth1']);
    const model = await readHost(host.sysfs, host.ip);
    expect(model.pfs.map((p) => [p.name, p.numVfs, p.vfs.map((v) => v.pci)])).toEqual([['eth0', 0, []], ['eth1', 1, ['0000:02:10.0']]]);
  });

  test('only one PF when asked, with one ip call', async () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }, { name: 'eth1', pci: '0000:02:00.0', numVfs: 2 }]);
    host.clearCalls();
    const model = await readHost(host.sysfs, host.ip, ['eth1']);
    expect(model.pfs.map((p) => p.name)).toEqual(['eth1']);
    expect(host.calls().map((c) => c.argv.join(' '))).toEqual(['-j link show dev eth1']);
  });

  test('several PFs with one ip process, each read once', async () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }, { name: 'eth1', pci: '0000:02:00.0', numVfs: 3 }]);
    host.clearCalls();
    const model = await readHost(host.sysfs, host.ip);
    expect(model.pfs.map((p) => [p.name, p.vfs.length])).toEqual([['eth0', 2], ['eth1', 3]]);
    expect(host.calls()).toEqual([{ argv: ['-j', '-batch', '-'], batch: ['link show dev eth0', 'link show dev eth1'] }]);
  });

  test('a PF that is down says so', async () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 1, up: false }]);
    expect((await readHost(host.sysfs, host.ip)).pfs[0]).toMatchObject({ up: false, numVfs: 1 });
  });

  test('a VF that ip does not report has no state', async () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 1 }]);
    const noVfs: IpTool = { show: async (pf) => ({ ifname: pf, up: true, vfs: [] }), showAll: async (pfs) => pfs.map((pf) => ({ ifname: pf, up: true, vfs: [] })), batch: async () => undefined };
    expect((await readHost(host.sysfs, noVfs)).pfs[0]!.vfs[0]).toMatchObject({ vf: 0, pci: '0000:01:10.0', state: null });
  });

  test('the PF of a VF by PCI address, and its netdev', () => {
    host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }]);
    expect(pfNetdev(host.sysfs, '0000:01:00.0')).toBe('eth0');
    expect(pfNetdev(host.sysfs, '0000:09:00.0')).toBeNull();
    expect(locateVf(host.sysfs, parsePciAddress('0000:01:10.2'))).toEqual({ pfPci: '0000:01:00.0', index: 1 });
  });
});
