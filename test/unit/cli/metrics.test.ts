import { describe, expect, test } from '@jest/globals';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeHost } from '../../support/fake-host.js';
import { cli, useFakeIp } from './cli-helpers.js';

const fake = useFakeIp();
let host: FakeHost;

function mlx5Host(): string {
  host = fake.host([{ name: 'ens1f0', pci: '0000:3b:00.0', driver: 'mlx5_core', numVfs: 2 }]);
  host.countTraffic('ens1f0', 1, { rxBytes: 1234, rxPackets: 2 });
  const config = fake.config(host);
  writeFileSync(join(host.root, 'virt-sriov.log'), [
    JSON.stringify({ time: '2026-12-05T10:00:00.000Z', hook: 'qemu', op: 'start', subop: 'begin', object: 'fw1', result: 'failed', durationMs: 250, vfs: [], changes: [], notes: [] }),
    '{"a line cut short',
  ].join('\n') + '\n');
  return config;
}

describe('virt-sriov metrics', () => {
  test('prints the exposition on stdout: VF counters, PF counts, hook calls from the log (a cut line skipped)', async () => {
    const r = await cli(['metrics', '-c', 'test:///default', '--config-file', mlx5Host()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('virt_sriov_vf_receive_bytes_total{pf="ens1f0",vf="1",pci="0000:3b:10.2",domain="",mac="00:00:00:00:00:00"} 1234\n');
    expect(r.stdout).toContain('virt_sriov_pf_vfs_created{pf="ens1f0",pci="0000:3b:00.0",driver="mlx5_core"} 2\n');
    expect(r.stdout).toContain('virt_sriov_hook_calls_total{hook="qemu",operation="start",result="failed"} 1\n');
  });

  test('--textfile DIR: virt-sriov.prom, the same text, no temporary file left behind', async () => {
    const config = mlx5Host();
    const dir = join(host.root, 'textfile');
    mkdirSync(dir);
    writeFileSync(join(dir, 'virt-sriov.prom'), 'old\n');
    const r = await cli(['metrics', '-c', 'test:///default', '--textfile', dir, '--config-file', config]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readdirSync(dir)).toEqual(['virt-sriov.prom']);
    const printed = await cli(['metrics', '-c', 'test:///default', '--config-file', config]);
    expect(readFileSync(join(dir, 'virt-sriov.prom'), 'utf8')).toBe(printed.stdout);
  });

  test('--textfile naming no directory is bad input (exit 2), with the collector\'s usual directory as the fix', async () => {
    const config = mlx5Host();
    const r = await cli(['metrics', '-c', 'test:///default', '--textfile', join(host.root, 'nope'), '--config-file', config]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/--textfile .*nope is not a directory\n {2}fix: give node_exporter's --collector.textfile.directory/);
  });

  test('no hook has run yet (no log): the hook families are there, empty', async () => {
    mlx5Host();
    const r = await cli(['metrics', '-c', 'test:///default', '--config-file', fake.config(host, { logFile: join(host.root, 'none.log') })]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# TYPE virt_sriov_hook_calls_total counter\n# HELP virt_sriov_hook_duration_seconds');
  });

  test('another host\'s URI is refused: metrics reads this host', async () => {
    const r = await cli(['metrics', '-c', 'qemu+ssh://elsewhere/system', '--config-file', mlx5Host()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/metrics works on this host only/);
  });
});
