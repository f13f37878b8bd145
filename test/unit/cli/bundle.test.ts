/**
 * The built CLI as an admin runs it: real exit codes, and nothing but the XML on stdout.
 * Builds dist/virt-sriov.mjs if it is not there (`npm test` builds it before the unit tests).
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { devicesOf, domainFixture, igbContext } from '../helpers.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BUNDLE = join(ROOT, 'dist', 'virt-sriov.mjs');

beforeAll(() => {
  if (!existsSync(BUNDLE)) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
}, 60_000);

function run(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], {
    input, encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('node dist/virt-sriov.mjs', () => {
  test('--help exits 0', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: virt-sriov/);
  });

  test('convert writes only the XML to stdout, the notes to stderr', () => {
    const text = domainFixture('firewall.xml');
    const r = run(['convert', '--to', 'hostdev', '--network', 'sriov', '--vf', '0000:01:10.2', '--vf', '0000:01:10.6'], text);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("<domain type='kvm'")).toBe(true);
    expect(r.stdout.endsWith('</domain>\n')).toBe(true);
    expect(devicesOf(r.stdout, igbContext()).map((d) => d.style)).toEqual(['hostdev', 'hostdev', 'hostdev']);
    expect(r.stderr).toContain('virt-sriov: interface 52:54:00:6a:02:02: interface -> hostdev\n');
  });

  test('malformed XML exits 2 with line and column, no stack trace, nothing on stdout', () => {
    const r = run(['convert', '--to', 'hostdev'], "<domain>\n  <name>a</name>\n  <devices>\n</domain>\n");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^virt-sriov: stdin: malformed XML at line 4, column \d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('a network-style device with no VF for --to hostdev exits 2, nothing on stdout', () => {
    const r = run(['convert', '--to', 'hostdev', '--network', 'sriov'], domainFixture('firewall.xml'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/has no VF of its own/);
  });

  test('an unknown command and an unknown style exit 2', () => {
    expect(run(['frobnicate']).code).toBe(2);
    const style = run(['convert', '--to', 'bridge'], '');
    expect(style.code).toBe(2);
    expect(style.stdout).toBe('');
  });

  test('a bad version string exits 2', () => {
    const r = run(['style', '--libvirt', 'nine', '--qemu', '7.2.0']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/'nine' is not a libvirt version/);
  });

  test('style --json prints exactly the documented line', () => {
    expect(run(['style', '--libvirt', '9.0.0', '--qemu', '7.2.0', '--json'])).toEqual({
      code: 0, stdout: '{"supported":["network","interface","hostdev"],"vlanInXml":true}\n', stderr: '',
    });
  });

  test('network finds its template next to the bundle', () => {
    const r = run(['network', '--name', 'sriov', '--pf', 'eth1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("<forward mode='hostdev' managed='yes'>");
  });
});
