/**
 * `virt-sriov migrate` between two real libvirtds (9.0, QEMU 7.2), each private to this file in
 * its own mount and PID namespace with its own host_uuid (libvirt refuses to migrate to its own
 * host), sharing this machine's network (QEMU's migration stream goes over loopback). The CLI
 * runs outside both and reaches each daemon through its socket, as two qemu+unix URIs. The
 * guest has no VF (this machine has no SR-IOV): what is proven here is the libvirt side, i.e. the
 * preflight against a real destination, the migration through virDomainMigrate2 on a worker
 * thread, --persistent/--undefinesource, and that a migration libvirt fails leaves the guest
 * running on the source.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivateLibvirtd, type PrivateLibvirtd } from '../support/private-libvirtd.js';
import { DIST, domainXml, requireBuild } from '../hooks/hook-suite.js';

const work = mkdtempSync(join(tmpdir(), 'virt-sriov-migrate-it-'));
const config = join(work, 'config.json');
let a: PrivateLibvirtd | undefined;
let b: PrivateLibvirtd | undefined;
const uri = (d: PrivateLibvirtd) => `qemu+unix:///system?socket=${d.paths.run}/libvirt/libvirt-sock`;

const cli = (args: string[]) => execa(process.execPath, [DIST.cli, ...args, '--config-file', config], { reject: false, timeout: 120_000 });

beforeAll(async () => {
  requireBuild();
  writeFileSync(config, JSON.stringify({ stateDir: join(work, 'state'), logFile: join(work, 'log') }), { mode: 0o600 });
  a = await startPrivateLibvirtd({ libvirtdConf: 'host_uuid = "11111111-2222-4333-8444-555555555501"' });
  b = await startPrivateLibvirtd({ libvirtdConf: 'host_uuid = "11111111-2222-4333-8444-555555555502"' });
  const file = join(work, 'mig.xml');
  writeFileSync(file, domainXml('mig-guest'));
  await a.virshOk('define', file);
  await a.virshOk('start', 'mig-guest');
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
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
});
