import { describe, expect, test } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DRIVER_PROFILES } from '../../../src/drivers/driver-profiles.js';
import { stateStore } from '../../../src/state/state-store.js';
import { holdWatch } from '../../../src/watch/running.js';
import type { FakeHost } from '../../support/fake-host.js';
import { cli, useFakeIp } from './cli-helpers.js';

const fake = useFakeIp();
let host: FakeHost;

/** Two igb PFs as a real host would have them: eth0 with 2 VFs (one handed to a guest), eth1 with none. */
function igbHost(): string {
  host = fake.host([
    { name: 'eth1', pci: '0000:02:00.0' },
    { name: 'eth0', pci: '0000:01:00.0', numVfs: 2 },
  ]);
  host.setVf('eth0', 0, { mac: 'de:ad:fe:ed:ff:01', vlan: 403, qos: 3, spoofchk: false, trust: true, max_tx: 100 });
  host.bindVf('eth0', 1, 'vfio-pci');
  return fake.config(host);
}

describe('virt-sriov status --json', () => {
  test('every PF and VF with the documented field names and values', async () => {
    const r = await cli(['status', '-c', 'test:///default', '--json', '--config-file', igbHost()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.pfs.map((p: { name: string }) => p.name)).toEqual(['eth0', 'eth1']);
    const [eth0, eth1] = json.pfs;
    expect(eth0).toMatchObject({ name: 'eth0', pci: '0000:01:00.0', driver: 'igb', totalVfs: 7, numVfs: 2 });
    expect(eth0.vfs).toHaveLength(2);
    expect(eth0.vfs[0]).toMatchObject({
      vf: 0, pci: '0000:01:10.0', netdev: 'eth0v0', driver: 'igbvf', mac: 'de:ad:fe:ed:ff:01', vlan: 403, qos: 3,
      spoofchk: false, trust: true, linkState: 'auto', minTxRate: 0, maxTxRate: 100,
    });
    // bound to vfio-pci for a guest: no netdev
    expect(eth0.vfs[1]).toMatchObject({
      vf: 1, pci: '0000:01:10.2', netdev: null, driver: 'vfio-pci', mac: '00:00:00:00:00:00', vlan: 0, qos: 0,
      spoofchk: true, trust: false, linkState: 'auto', minTxRate: 0, maxTxRate: 0,
    });
    expect(eth1).toMatchObject({ name: 'eth1', pci: '0000:02:00.0', driver: 'igb', totalVfs: 7, numVfs: 0, vfs: [] });
  });

  test('every field the issue names is there, on each PF and each VF', async () => {
    const json = JSON.parse((await cli(['status', '-c', 'test:///default', '--json', '--config-file', igbHost()])).stdout);
    for (const pf of json.pfs) {
      expect(Object.keys(pf)).toEqual(expect.arrayContaining(['name', 'pci', 'driver', 'totalVfs', 'numVfs', 'vfs']));
      for (const vf of pf.vfs) {
        expect(Object.keys(vf)).toEqual(expect.arrayContaining(
          ['vf', 'pci', 'netdev', 'driver', 'mac', 'vlan', 'qos', 'spoofchk', 'trust', 'linkState', 'minTxRate', 'maxTxRate'],
        ));
      }
    }
  });

  test('--pf shows only that PF', async () => {
    const json = JSON.parse((await cli(['status', '-c', 'test:///default', '--json', '--pf', 'eth1', '--config-file', igbHost()])).stdout);
    expect(json.pfs.map((p: { name: string }) => p.name)).toEqual(['eth1']);
  });

  test('a host with no SR-IOV NIC: no PFs', async () => {
    host = fake.host([]);
    const r = await cli(['status', '-c', 'test:///default', '--json', '--config-file', fake.config(host)]);
    expect(r).toEqual({ code: 0, stdout: '{"watcher":{"running":false,"pid":null},"pfs":[]}\n', stderr: '' });
  });
});

describe('virt-sriov status: each held VF against what its guest asked for (the watcher\'s rule for drift)', () => {
  /** eth0 VF 0 set as fw1 asked (VLAN 403, trust on, spoof checking off); VF 1 claimed by web1 while it starts. */
  function heldHost(): string {
    const config = igbHost();
    const state = join(host.root, 'state');
    mkdirSync(state, { recursive: true });
    const record = { pf: 'eth0', owner: { name: 'fw1', uuid: null }, style: 'hostdev' as const, network: null, original: null, updated: new Date().toISOString() };
    stateStore(state).put({ ...record, index: 0, pci: '0000:01:10.0', guest: { mac: 'de:ad:fe:ed:ff:01', vlan: { id: 403, qos: 3 }, trust: true, spoofchk: false }, phase: 'running' });
    stateStore(state).put({ ...record, owner: { name: 'web1', uuid: null }, index: 1, pci: '0000:01:10.2', guest: { vlan: { id: 12 } }, phase: 'claimed' });
    return config;
  }
  const settingsColumn = (stdout: string, row: number) => {
    const lines = stdout.split('\n');
    const at = lines[1]!.indexOf('SETTINGS');
    return lines[row]!.slice(at).split(/\s+/)[0];
  };

  test('as asked: ok in the table, matches in --json; a VF still being set up (claimed) is not judged', async () => {
    const config = heldHost();
    const table = await cli(['status', '-c', 'test:///default', '--config-file', config]);
    expect(table.stderr).toBe('');
    expect(settingsColumn(table.stdout, 2)).toBe('ok');
    expect(settingsColumn(table.stdout, 3)).toBe('-');
    expect(table.stdout).not.toContain('drift:');
    const json = JSON.parse((await cli(['status', '-c', 'test:///default', '--json', '--config-file', config])).stdout);
    expect(json.pfs[0].vfs[0].guestSettings).toEqual({ matches: true, drift: [] });
    expect(json.pfs[0].vfs[1].guestSettings).toBeNull();
    expect(json.pfs[1].vfs).toEqual([]);
  });

  test('drifted (a driver reset wiped the VLAN, trust turned off by hand): DRIFT, a line saying what and who puts it right, the same in --json', async () => {
    const config = heldHost();
    host.setVf('eth0', 0, { vlan: 0, qos: 0, trust: false });
    const table = await cli(['status', '-c', 'test:///default', '--config-file', config]);
    expect(settingsColumn(table.stdout, 2)).toBe('DRIFT');
    expect(table.stdout).toContain('  drift: VF 0 (fw1): vlan none, not 403:3; trust off, not on; virt-sriov watch does not run, so nothing puts it right: '
      + 'start it (`systemctl enable --now virt-sriov-watch`, or `virt-sriov watch` under a supervisor), or give the VF its settings: `virt-sriov set fw1 --vf 0000:01:10.0 --live` with them');
    const json = JSON.parse((await cli(['status', '-c', 'test:///default', '--json', '--config-file', config])).stdout);
    expect(json.pfs[0].vfs[0].guestSettings).toEqual({
      matches: false,
      drift: [{ setting: 'vlan', asked: '403:3', live: 'none' }, { setting: 'trust', asked: 'on', live: 'off' }],
    });
    expect(json.watcher).toEqual({ running: false, pid: null });

    // a watcher holds this state dir's lock: it is the one that puts it right
    const release = (await holdWatch(join(host.root, 'state'), 4242))!;
    try {
      const watched = await cli(['status', '-c', 'test:///default', '--config-file', config]);
      expect(watched.stdout).toContain('  drift: VF 0 (fw1): vlan none, not 403:3; trust off, not on; virt-sriov watch (pid 4242) puts it right (`systemctl reload virt-sriov-watch` makes it look now)');
      expect(JSON.parse((await cli(['status', '-c', 'test:///default', '--json', '--config-file', config])).stdout).watcher).toEqual({ running: true, pid: 4242 });
    } finally {
      release();
    }
  });
});

describe('virt-sriov status', () => {
  test('a table per PF: its state, then one row per VF', async () => {
    const r = await cli(['status', '-c', 'test:///default', '--config-file', igbHost()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('eth0 (0000:01:00.0, igb, up): 2 of 7 VFs');
    expect(lines[1]!.split(/\s+/).filter(Boolean)).toEqual(['VF', 'PCI', 'NETDEV', 'DRIVER', 'MAC', 'VLAN', 'SPOOFCHK', 'TRUST', 'LINK', 'TX', 'MIN/MAX', 'DOMAIN', 'SETTINGS', 'RX', 'TX', 'DROPPED']);
    // igb counts no traffic per VF: VF 0's counters are its netdev's (bound to igbvf), VF 1 (vfio-pci) has none
    expect(lines[2]!.split(/\s+/).filter(Boolean)).toEqual(['0', '0000:01:10.0', 'eth0v0', 'igbvf', 'de:ad:fe:ed:ff:01', '403:3', 'off', 'on', 'auto', '0/100', '-', '-', '0', 'B', '0', 'B', '0']);
    expect(lines[3]!.split(/\s+/).filter(Boolean)).toEqual(['1', '0000:01:10.2', '-', 'vfio-pci', '00:00:00:00:00:00', '-', 'on', 'off', 'auto', '0/0', '-', '-', 'n/a', 'n/a', 'n/a']);
    expect(lines[4]).toMatch(/^ {2}n\/a: igb does not count traffic per VF \(no ndo_get_vf_stats\)/);
    expect(lines[5]).toBe('eth1 (0000:02:00.0, igb, up): 0 of 7 VFs');
  });

  test("each VF's traffic with the guest that holds it, by the guest's NIC MAC or alias", async () => {
    host = fake.host([{ name: 'ens1f0', pci: '0000:3b:00.0', driver: 'mlx5_core', numVfs: 2 }]);
    host.bindVf('ens1f0', 0, 'vfio-pci');
    host.countTraffic('ens1f0', 0, { rxBytes: 3 * 1024 ** 2, txBytes: 1536, rxDropped: 2, txDropped: 1 });
    const records = join(host.root, 'state');
    mkdirSync(records, { recursive: true });
    const config = fake.config(host);
    // test:///default's domains hold no VF of this host: the holder comes from the hooks' record
    stateStore(records).put({
      pf: 'ens1f0', index: 0, pci: host.vfAddress('ens1f0', 0), owner: { name: 'fw1', uuid: null }, style: 'hostdev', network: null,
      original: null, guest: { mac: '52:54:00:fe:00:01' }, phase: 'running', updated: new Date().toISOString(),
    });
    const table = await cli(['status', '-c', 'test:///default', '--config-file', config]);
    expect(table.stderr).toBe('');
    const row0 = table.stdout.split('\n')[2]!.split(/\s+/).filter(Boolean);
    // the VF has no MAC: not what fw1 asked for
    expect(row0.slice(-8)).toEqual(['fw1/52:54:00:fe:00:01', '(running)', 'DRIFT', '3', 'MiB', '1.5', 'KiB', '3']);
    expect(table.stdout).not.toMatch(/n\/a/);
    const json = JSON.parse((await cli(['status', '-c', 'test:///default', '--json', '--config-file', config])).stdout);
    expect(json.pfs[0].vfs[0]).toMatchObject({
      domain: { domain: 'fw1', running: true, mac: '52:54:00:fe:00:01', alias: null },
      counters: { source: 'pf', rxBytes: 3 * 1024 ** 2, txBytes: 1536, rxDropped: 2, txDropped: 1 },
      noCounters: null,
    });
    expect(json.pfs[0].vfs[1]).toMatchObject({ domain: null, counters: { source: 'pf', rxBytes: 0 } });
  });

  test.each(DRIVER_PROFILES.map((p) => [p.driver, p.vfStats] as const))("%s: a guest's VF shows the PF's counters only where the driver keeps them (%s)", async (driver, keeps) => {
    host = fake.host([{ name: 'p0', pci: '0000:05:00.0', driver, numVfs: 1 }]);
    host.bindVf('p0', 0, 'vfio-pci');
    host.countTraffic('p0', 0, { rxBytes: 4096, txBytes: 2048 });
    const json = JSON.parse((await cli(['status', '-c', 'test:///default', '--json', '--config-file', fake.config(host)])).stdout);
    expect(json.pfs[0].vfs[0].counters).toEqual(keeps ? expect.objectContaining({ source: 'pf', rxBytes: 4096, txBytes: 2048 }) : null);
    expect(json.pfs[0].vfs[0].noCounters === null).toBe(keeps);
  });

  test('igb in --json: counters null, with the reason, never zeros', async () => {
    const json = JSON.parse((await cli(['status', '-c', 'test:///default', '--json', '--config-file', igbHost()])).stdout);
    const [vf0, vf1] = json.pfs[0].vfs;
    expect(vf0).toMatchObject({ counters: { source: 'netdev', rxBytes: 0, broadcast: null }, noCounters: null });
    expect(vf1).toMatchObject({ counters: null, noCounters: expect.stringMatching(/^igb does not count traffic per VF/) });
  });

  test('a host with no SR-IOV NIC says so plainly', async () => {
    host = fake.host([]);
    mkdirSync(join(host.sysRoot, 'class/net/lo'), { recursive: true }); // a netdev that offers no VFs
    const r = await cli(['status', '-c', 'test:///default', '--config-file', fake.config(host)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No SR-IOV NIC on this host: no network interface offers VFs/);
    // doctor knows whether it is the IOMMU, the kernel, the driver or the BIOS
    expect(r.stdout).toMatch(/Run `virt-sriov doctor`: it checks the IOMMU, the kernel, the NIC drivers and the BIOS settings/);
  });

  test('--pf naming an interface that offers no VFs, or none at all, fails and says which', async () => {
    host = fake.host([{ name: 'eth0', pci: '0000:01:00.0' }]);
    mkdirSync(join(host.sysRoot, 'class/net/eno1'), { recursive: true });
    const config = fake.config(host);
    const noVfs = await cli(['status', '-c', 'test:///default', '--pf', 'eno1', '--config-file', config]);
    expect(noVfs).toMatchObject({ code: 1, stdout: '' });
    expect(noVfs.stderr).toMatch(/^virt-sriov: eno1 is not an SR-IOV PF on this host\n {2}fix: it offers no VFs \(no sriov_totalvfs\): `virt-sriov doctor` says why/);
    const absent = await cli(['status', '-c', 'test:///default', '--pf', 'eth9', '--config-file', config]);
    expect(absent).toMatchObject({ code: 1, stdout: '' });
    expect(absent.stderr).toMatch(/eth9 is not an SR-IOV PF on this host\n {2}fix: see `ip link`/);
  });

  test('an ip that fails is an operation error (exit 1), with what ip said', async () => {
    host = fake.host([{ name: 'eth0', pci: '0000:01:00.0' }]);
    const config = fake.config(host, { ipCommand: [process.execPath, '-e', 'process.stderr.write("RTNETLINK answers: Operation not permitted\\n"); process.exit(2)', '--'] });
    const r = await cli(['status', '-c', 'test:///default', '--config-file', config]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/RTNETLINK answers: Operation not permitted/);
  });

  test('a --config that does not exist is bad input (exit 2)', async () => {
    const r = await cli(['status', '-c', 'test:///default', '--config-file', '/nonexistent/virt-sriov.json']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^virt-sriov: config \/nonexistent\/virt-sriov\.json: ENOENT/);
  });
});
