/**
 * The fleet view (and, below, migrate's preflight) against a real libvirtd 9.0 private to this
 * file (support/private-libvirtd.ts), the built CLI run inside its namespace. This machine has
 * no SR-IOV, so the real daemon's node devices (every PCI function and netdev of this machine,
 * as libvirt's udev backend reports them) must give no PF and read without error; the SR-IOV
 * side is a test-driver host (test/fixtures/libvirt/sriov-node-b.xml) beside it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrivateLibvirtd, type PrivateLibvirtd } from '../support/private-libvirtd.js';
import { DIST, domainXml, requireBuild } from '../hooks/hook-suite.js';

const B = `test://${fileURLToPath(new URL('../../fixtures/libvirt/sriov-node-b.xml', import.meta.url))}`;
const work = mkdtempSync(join(tmpdir(), 'virt-sriov-fleet-it-'));
const config = join(work, 'config.json');
let libvirt: PrivateLibvirtd | undefined;
const daemon = () => libvirt!;

const cli = (args: string[]) => daemon().exec(process.execPath, [DIST.cli, ...args, '--config-file', config], { timeoutMs: 60_000 });

beforeAll(async () => {
  requireBuild();
  writeFileSync(config, JSON.stringify({ stateDir: join(work, 'state'), logFile: join(work, 'log') }), { mode: 0o600 });
  libvirt = await startPrivateLibvirtd();
  const file = join(work, 'idle.xml');
  writeFileSync(file, domainXml('fleet-idle'));
  await daemon().virshOk('define', file);
}, 60_000);

afterAll(async () => {
  await libvirt?.stop();
  rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('status -c qemu:///system -c test:///...', () => {
  test('the real daemon: its host name, and no PF among every node device it has; the SR-IOV host beside it', async () => {
    const r = await cli(['status', '-c', 'qemu:///system', '-c', B, '--json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const [real, b] = JSON.parse(r.stdout).hosts;
    expect(real).toMatchObject({ uri: 'qemu:///system', pfs: [] });
    expect(real.hostname).toBe((await daemon().exec('virsh', ['-c', 'qemu:///system', 'hostname'])).stdout.trim());
    expect(b.pfs[0].vfs).toHaveLength(3);
    const nodeDevices = (await daemon().virshOk('nodedev-list', '--cap', 'pci')).split('\n').filter(Boolean);
    expect(nodeDevices.length).toBeGreaterThan(0); // it did have devices to read
  });

  test('the table names the host with no SR-IOV PF and says what only a local run shows', async () => {
    const r = await cli(['status', '-c', 'qemu:///system', '-c', B]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\(qemu:\/\/\/system\): no SR-IOV PF \(no node device with virt_functions\)/);
    expect(r.stdout).toContain('Only `virt-sriov status` run on the host itself shows');
  });
});

describe('migrate against the real daemon: the mark, and a preflight that changes nothing', () => {
  test('--mark-host puts an inert network filter named virt-sriov on the host, once', async () => {
    const first = await cli(['migrate', '--mark-host', '-c', 'qemu:///system']);
    expect(first).toMatchObject({ exitCode: 0, stderr: '' });
    expect(first.stdout).toContain('now carries virt-sriov\'s mark (network filter virt-sriov)');
    expect(await daemon().virshOk('nwfilter-list')).toMatch(/\bvirt-sriov\b/);
    expect((await cli(['migrate', '--mark-host', '-c', 'qemu:///system'])).stdout).toContain('already carries');
  });

  test('refused at preflight (no virt-sriov there, and the guest not running): both named, nothing changed on either host', async () => {
    const before = await daemon().virshOk('dumpxml', 'fleet-idle');
    const r = await cli(['migrate', 'fleet-idle', B, '-c', 'qemu:///system', '--live']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('refused, nothing changed on either host');
    expect(r.stderr).toContain('domain fleet-idle is not running on');
    expect(r.stderr).toMatch(/\(test:\/\/\/[^)]*sriov-node-b\.xml\) shows no virt-sriov/);
    expect(await daemon().virshOk('dumpxml', 'fleet-idle')).toBe(before);
  });

  test('a running guest to a host that already has it (itself): refused at preflight, the guest untouched', async () => {
    await daemon().virshOk('start', 'fleet-idle');
    try {
      const before = await daemon().virshOk('dumpxml', 'fleet-idle');
      const r = await cli(['migrate', 'fleet-idle', 'qemu:///system', '-c', 'qemu:///system', '--live', '--dry-run']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('(qemu:///system) already has a domain named fleet-idle');
      expect(r.stderr).not.toContain('is not running');
      expect(await daemon().virshOk('domstate', 'fleet-idle')).toContain('running');
      expect(await daemon().virshOk('dumpxml', 'fleet-idle')).toBe(before);
    } finally {
      await daemon().virsh('destroy', 'fleet-idle');
    }
  }, 60_000);
});
