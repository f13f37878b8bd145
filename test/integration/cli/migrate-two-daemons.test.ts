/**
 * `virt-sriov migrate` between two real libvirtds (9.0, QEMU 7.2), each private to this file in
 * its own mount and PID namespace with its own host_uuid (libvirt refuses to migrate to its own
 * host), sharing this machine's network (QEMU's migration stream goes over loopback). The CLI
 * runs outside both and reaches each daemon through its socket, as two qemu+unix URIs. The
 * guest has no VF (this machine has no SR-IOV): what is proven here is the libvirt side, i.e. the
 * preflight against a real destination, the migration through virDomainMigrate2 on a worker
 * thread, --persistent/--undefinesource, --timeout, that a migration libvirt fails leaves the
 * guest running on the source, and that the destination's own hooks (virt-sriov's qemu hook in
 * B, on a fake SR-IOV host) ready the VF a NIC arrives on from the XML the source sends, in B's
 * own state, before QEMU runs there.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetArriving, destinationXml, type PlannedNic } from '../../../src/migrate/move.js';
import { openLibvirt } from '../../../src/libvirt/index.js';
import { DomainXml } from '../../../src/xml/domain.js';
import { FakeHost } from '../../support/fake-host.js';
import { bundleFakeHostProcesses, type FakeHostBundles } from '../../support/fake-host-processes.js';
import { startPrivateLibvirtd, type PrivateLibvirtd } from '../support/private-libvirtd.js';
import { bakeHook, DIST, domainXml, requireBuild, stateStore, writeSuiteConfig, type SuiteConfig } from '../hooks/hook-suite.js';

const work = mkdtempSync(join(tmpdir(), 'virt-sriov-migrate-it-'));
const config = join(work, 'config.json');
let a: PrivateLibvirtd | undefined;
let b: PrivateLibvirtd | undefined;
// host B's SR-IOV side: a fake igb eth0 with 2 VFs, virt-sriov's qemu hook in B pointed at it
let bundles: FakeHostBundles | undefined;
let hostB: FakeHost;
let configB: SuiteConfig;
const uri = (d: PrivateLibvirtd) => `qemu+unix:///system?socket=${d.paths.run}/libvirt/libvirt-sock`;

const cli = (args: string[]) => execa(process.execPath, [DIST.cli, ...args, '--config-file', config], { reject: false, timeout: 120_000 });

beforeAll(async () => {
  requireBuild();
  writeFileSync(config, JSON.stringify({ stateDir: join(work, 'state'), logFile: join(work, 'log') }), { mode: 0o600 });
  bundles = await bundleFakeHostProcesses();
  hostB = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2, refuses: ['state', 'proto'] }], join(work, 'host-b'));
  mkdirSync(join(work, 'b'));
  configB = writeSuiteConfig(join(work, 'b'), hostB, bundles);
  a = await startPrivateLibvirtd({ libvirtdConf: 'host_uuid = "11111111-2222-4333-8444-555555555501"' });
  b = await startPrivateLibvirtd({
    libvirtdConf: 'host_uuid = "11111111-2222-4333-8444-555555555502"',
    beforeDaemonStart: (paths) => void bakeHook(DIST.qemu, configB.path, join(paths.hooks, 'qemu')),
  });
  const file = join(work, 'mig.xml');
  writeFileSync(file, domainXml('mig-guest'));
  await a.virshOk('define', file);
  await a.virshOk('start', 'mig-guest');
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  bundles?.remove();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('virt-sriov migrate between two libvirtds', () => {
  test('refused at preflight while the destination has no virt-sriov mark: nothing moved', async () => {
    const r = await cli(['migrate', 'mig-guest', uri(b!), '-c', uri(a!), '--live']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('shows no virt-sriov');
    expect(await a!.virshOk('domstate', 'mig-guest')).toContain('running');
    expect((await b!.virsh('dominfo', 'mig-guest')).exitCode).not.toBe(0);
  });

  test('a migration libvirt fails (a stream address the destination can\'t listen on) leaves the guest running on the source', async () => {
    expect((await cli(['migrate', '--mark-host', '-c', uri(b!)])).exitCode).toBe(0);
    const r = await cli(['migrate', 'mig-guest', uri(b!), '-c', uri(a!), '--live', '--migrateuri', 'tcp://192.0.2.1:49152']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/libvirt could not migrate domain mig-guest to .*: /);
    expect(r.stderr).toContain('The guest stays on');
    expect(await a!.virshOk('domstate', 'mig-guest')).toContain('running');
    expect((await b!.virsh('dominfo', 'mig-guest')).exitCode).not.toBe(0);
  }, 120_000);

  test('--dry-run prints the plan; then the guest moves live, defined there and undefined here', async () => {
    const dry = await cli(['migrate', 'mig-guest', uri(b!), '-c', uri(a!), '--live', '--persistent', '--undefinesource', '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('nothing changed (--dry-run): migrate mig-guest from');
    expect(dry.stdout).toContain('through libvirt (live, defined there, undefined here)');
    const r = await cli(['migrate', 'mig-guest', uri(b!), '-c', uri(a!), '--live', '--persistent', '--undefinesource', '--migrateuri', 'tcp://127.0.0.1:49152']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^migrated mig-guest from .* to .* in \d+\.\d s$/m);
    expect(await b!.virshOk('domstate', 'mig-guest')).toContain('running');
    expect(await b!.virshOk('dominfo', 'mig-guest')).toMatch(/Persistent:\s+yes/);
    expect((await a!.virsh('dominfo', 'mig-guest')).exitCode).not.toBe(0);
    // the source marked itself on the way
    expect(await a!.virshOk('nwfilter-list')).toMatch(/\bvirt-sriov\b/);
  }, 120_000);

  test('--timeout: a live migration not done in time is finished with the guest suspended (virsh\'s meaning), and it runs on the destination', async () => {
    await b!.virshOk('destroy', 'mig-guest');
    await b!.virshOk('undefine', 'mig-guest');
    await a!.virshOk('define', join(work, 'mig.xml'));
    await a!.virshOk('start', 'mig-guest');
    // far less than the destination takes to start its QEMU: the timeout always fires mid-migration
    const r = await cli(['migrate', 'mig-guest', uri(b!), '-c', uri(a!), '--live', '--timeout', '0.001', '--migrateuri', 'tcp://127.0.0.1:49153']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`note: not done after 0.001 s: the guest was suspended so the migration completes (virsh's --timeout), and runs again on`);
    expect(await b!.virshOk('domstate', 'mig-guest')).toContain('running');
    expect((await a!.virsh('domstate', 'mig-guest')).stdout).toContain('shut off'); // still defined here, not running
    await b!.virshOk('destroy', 'mig-guest');
  }, 120_000);

  test('a NIC unplugged on the source arrives on B\'s VF: B\'s prepare hook puts the MAC, VLAN and the rest on it, in B\'s state, before QEMU runs', async () => {
    const sourceVf = '0000:01:10.2';
    const settings = { pci: sourceVf, mac: 'de:ad:fe:ed:ff:01', vlan: '403', trust: 'on' };
    // the guest as it is on A once its VF is unplugged: the NIC's settings still in its metadata
    writeFileSync(join(work, 'arr.xml'), domainXml('arr-guest', { vfs: [settings] }));
    await a!.virshOk('define', join(work, 'arr.xml'));
    await a!.virshOk('start', 'arr-guest');
    const ctx = { isVf: () => true, isHostdevNetwork: () => false };
    const device = DomainXml.parse(domainXml('arr-guest', { hostdev: sourceVf, vfs: [settings] }), 'nic').sriovDevices(ctx)[0]!;
    const nic: PlannedNic = {
      move: { nic: { label: device.label, style: 'hostdev', vf: sourceVf, network: null, failover: false }, unplug: true, to: 'vf', sourcePf: 'eth0', pf: 'eth0', vf: '0000:01:10.0', by: 'physical network lab' },
      device,
    };
    const sent = destinationXml(await a!.virshOk('dumpxml', '--migratable', 'arr-guest'), 'arr-guest', [nic], [nic]);
    writeFileSync(join(work, 'sent.xml'), sent);
    await a!.virshOk('migrate', '--live', 'arr-guest', uri(b!), '--xml', join(work, 'sent.xml'), '--migrateuri', 'tcp://127.0.0.1:49154');
    expect(await b!.virshOk('domstate', 'arr-guest')).toContain('running');
    // B's VF 0 carries everything, readied by B's hook: the NIC is plugged in onto a set VF
    expect(hostB.vf('eth0', 0)).toMatchObject({ mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true });
    expect(hostB.vf('eth0', 1)).toMatchObject({ vlan: 0, trust: false });
    expect(stateStore(configB.stateDir).all()).toMatchObject([{ pci: '0000:01:10.0', owner: { name: 'arr-guest' }, phase: 'running' }]);
    const live = DomainXml.parse(await b!.virshOk('dumpxml', 'arr-guest'), 'on B');
    expect(live.metadata.entries().map((e) => e.settings)).toEqual([{ mac: 'de:ad:fe:ed:ff:01', vlan: { id: 403 }, trust: true }]);
    expect(live.arrivingDevices(ctx).map((d) => d.label)).toEqual(['hostdev 0000:01:10.0']);
    // once plugged in, the list goes from B's live XML; the settings stay, keyed by B's VF
    const conn = openLibvirt({ uri: uri(b!) });
    try {
      forgetArriving(conn, 'arr-guest');
    } finally {
      conn.close();
    }
    const after = DomainXml.parse(await b!.virshOk('dumpxml', 'arr-guest'), 'on B');
    expect(after.metadata.arriving()).toEqual([]);
    expect(after.metadata.find({ pci: { domain: 0, bus: 1, slot: 0x10, function: 0 } })?.settings).toEqual({ mac: 'de:ad:fe:ed:ff:01', vlan: { id: 403 }, trust: true });
    // the guest leaves B: B's release puts the VF back
    await b!.virshOk('destroy', 'arr-guest');
    expect(hostB.vf('eth0', 0)).toMatchObject({ vlan: 0, trust: false });
    expect(stateStore(configB.stateDir).all()).toEqual([]);
  }, 120_000);

  test('--unmark-host takes the mark off: migrations to B are refused again', async () => {
    const off = await cli(['migrate', '--unmark-host', '-c', uri(b!)]);
    expect(off.stderr).toBe('');
    expect(off.stdout).toMatch(/: no longer carries virt-sriov's mark \(network filter virt-sriov\): migrations are refused here$/m);
    expect(await b!.virshOk('nwfilter-list')).not.toMatch(/\bvirt-sriov\b/);
    await a!.virshOk('start', 'mig-guest');
    const r = await cli(['migrate', 'mig-guest', uri(b!), '-c', uri(a!), '--live', '--dry-run']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('shows no virt-sriov');
    expect((await cli(['migrate', '--unmark-host', '-c', uri(b!)])).stdout).toContain(": carried no virt-sriov's mark");
    await a!.virshOk('destroy', 'mig-guest');
  }, 60_000);
});
