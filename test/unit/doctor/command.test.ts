import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { doctorCommand } from '../../../src/cli/commands/doctor.js';
import type { CliIo } from '../../../src/cli/io.js';
import { VirtSriovError } from '../../../src/errors.js';
import { cli, type CliRun } from '../cli/cli-helpers.js';
import { FakeDoctorHost, healthy, type FakeDoctorSpec } from './fake-doctor-host.js';

let fake: FakeDoctorHost | undefined;
afterEach(() => {
  fake?.remove();
  fake = undefined;
});

/** `virt-sriov doctor ARGV` against a fake host, with runCli's exit codes and error output. */
async function doctor(spec: FakeDoctorSpec, argv: string[] = []): Promise<CliRun> {
  fake?.remove(); // a test may run doctor more than once
  fake = FakeDoctorHost.create(spec);
  // the fake's config, as a file, unless the test gives its own
  if (!argv.includes('--config-file')) {
    const path = join(fake.root, 'config.json');
    writeFileSync(path, JSON.stringify({ pfs: spec.config.pfs, networks: spec.config.networks }));
    argv = [...argv, '--config-file', path];
  }
  let stdout = '';
  let stderr = '';
  const io: CliIo = { readStdin: async () => '', stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const host = fake.host;
  const program = new Command('virt-sriov').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addCommand(doctorCommand(io, () => host).exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  let code = 0;
  try {
    await program.parseAsync(['doctor', ...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (e instanceof VirtSriovError) {
      stderr += `virt-sriov: ${e.describe()}\n`;
      code = e.exitCode;
    } else throw e;
  }
  return { code, stdout, stderr };
}

describe('virt-sriov doctor', () => {
  test('--json on a healthy host: {"checks":[{id,status,summary,fix}]}, exit 0, nothing on stderr', async () => {
    const r = await doctor(healthy(), ['--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { checks: Record<string, unknown>[] };
    expect(Object.keys(json)).toEqual(['checks']);
    expect(json.checks.length).toBeGreaterThan(15);
    for (const c of json.checks) {
      expect(Object.keys(c)).toEqual(['id', 'status', 'summary', 'fix']);
      expect(c).toMatchObject({ status: 'ok', fix: null });
    }
  });

  test('a failed check: exit 1, the report on stdout, the count on stderr', async () => {
    const r = await doctor({ ...healthy(), vfioPci: 'absent' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL  vfio-pci +vfio-pci is built as a module for kernel 6\.1\.0-56-amd64, but the module is not installed$/m);
    expect(r.stdout).toMatch(/^ +fix: reinstall the kernel's modules \(apt-get install --reinstall linux-image-6\.1\.0-56-amd64\), then modprobe vfio-pci$/m);
    expect(r.stdout).toMatch(/\n\n\d+ checks: \d+ ok, 0 warnings, 1 failed\n$/);
    expect(r.stderr).toBe('virt-sriov: 1 check failed\n');
  });

  test('--json with a failure: still valid JSON on stdout, exit 1', async () => {
    const r = await doctor({ ...healthy(), iommuGroups: 0 }, ['--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { checks: { id: string; status: string; fix: string | null }[] };
    expect(json.checks.find((c) => c.id === 'iommu-groups')).toMatchObject({ status: 'fail', fix: expect.stringContaining('VT-d') });
  });

  test('warnings alone: exit 0', async () => {
    const r = await doctor({ ...healthy(), pfs: healthy().pfs.map((p) => ({ ...p, up: false })) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WARN  pf-up:eth0 /m);
    expect(r.stdout).toContain('0 failed');
  });

  test('text: one column of ids, so every summary starts at the same place', async () => {
    const r = await doctor({ ...healthy(), hooks: null });
    const rows = r.stdout.split('\n').filter((l) => /^(ok|WARN|FAIL) /.test(l));
    const starts = new Set(rows.map((l) => /^\S+\s+\S+\s+/.exec(l)![0].length));
    expect(starts.size).toBe(1);
    const fixes = r.stdout.split('\n').filter((l) => l.trimStart().startsWith('fix: '));
    expect(new Set(fixes.map((l) => l.indexOf('fix: ')))).toEqual(starts);
  });

  test('a config that does not parse is reported, and the rest is still checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-doctor-config-'));
    try {
      const path = join(dir, 'config.json');
      writeFileSync(path, '{"pfs": {"eth0": {"numVfs": "eight"}}}');
      const r = await doctor(healthy(), ['--json', '--config-file', path]);
      expect(r.code).toBe(1);
      const json = JSON.parse(r.stdout) as { checks: { id: string; status: string; summary: string }[] };
      expect(json.checks[0]).toMatchObject({ id: 'config', status: 'fail', summary: expect.stringMatching(/pfs\.eth0\.numVfs: expected number \(the other checks assume the defaults\)$/) });
      expect(json.checks.length).toBeGreaterThan(15);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('-c URI is the connection doctor asks; without it, $LIBVIRT_DEFAULT_URI, else qemu:///system', async () => {
    const summary = (r: CliRun) => (JSON.parse(r.stdout) as { checks: { id: string; summary: string }[] }).checks.find((c) => c.id === 'libvirt-connection')!.summary;
    expect(summary(await doctor(healthy(), ['--json']))).toMatch(/^connected read-only to qemu:\/\/\/system:/);
    expect(summary(await doctor(healthy(), ['--json', '-c', 'qemu+ssh://root@kvm2/system']))).toMatch(/^connected read-only to qemu\+ssh:\/\/root@kvm2\/system \(a remote host/);
    const saved = process.env.LIBVIRT_DEFAULT_URI;
    process.env.LIBVIRT_DEFAULT_URI = 'qemu:///embed?root=/tmp/x';
    try {
      expect(summary(await doctor(healthy(), ['--json']))).toMatch(/^connected read-only to qemu:\/\/\/embed\?root=\/tmp\/x:/);
    } finally {
      if (saved === undefined) delete process.env.LIBVIRT_DEFAULT_URI;
      else process.env.LIBVIRT_DEFAULT_URI = saved;
    }
  });
});

describe('doctor in the virt-sriov program', () => {
  test('listed in --help, with its own --help', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/\n  doctor /);
    const r = await cli(['doctor', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: virt-sriov doctor \[options\]/);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('-c, --connect <uri>');
  });

  test('bad usage: exit 2', async () => {
    const r = await cli(['doctor', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown option '--bogus'");
  });
});
