/**
 * install.sh into a staging root (DESTDIR), as a packager runs it: the files it lays out, the
 * config path it bakes into the hooks and the CLI, the code caches the installed bundles keep,
 * and --uninstall leaving nothing behind.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

const PROJECT = resolve('.');
const CONFIG = '/etc/virt-sriov-install-test/config.json';
let root: string;
const lib = () => join(root, 'usr/local/lib/virt-sriov');
const installSh = (...args: string[]) => spawnSync('bash', [join(PROJECT, 'install.sh'), ...args], {
  encoding: 'utf8', env: { ...process.env, DESTDIR: root }, timeout: 60_000,
});
const cli = (...args: string[]) => spawnSync(process.execPath, [join(lib(), 'bin/virt-sriov.mjs'), ...args], { encoding: 'utf8', timeout: 30_000 });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(() => {
  if (!existsSync('dist/cli.cjs')) spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  root = mkdtempSync(join(tmpdir(), 'virt-sriov-install-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('install.sh --help', () => {
  test('prints the usage comment and nothing of the script after it (exit 0)', () => {
    const r = installSh('--help');
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Install virt-sriov: /);
    expect(r.stdout).toContain('./install.sh --uninstall [--prefix DIR]');
    // its last line is the comment's last line
    const comment = readFileSync(join(PROJECT, 'install.sh'), 'utf8').split('\n').slice(1);
    const last = comment[comment.findIndex((l) => !l.startsWith('#')) - 1]!.replace(/^# ?/, '');
    expect(r.stdout.trimEnd().split('\n').pop()).toBe(last);
    expect(r.stdout).not.toContain('set -');
  });
});

describe('install.sh --config into DESTDIR', () => {
  test('lays out the CLI, its bundle, the hooks and their operations, and the config', () => {
    const r = installSh('--no-build', '--config', CONFIG, '--libvirt-version', '9.0.0');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const f of ['bin/virt-sriov.mjs', 'bin/cli.cjs', 'hooks/operations.cjs', 'templates/hostdev-network.xml']) expect(existsSync(join(lib(), f))).toBe(true);
    const hook = join(root, 'etc/libvirt/hooks/qemu.d/virt-sriov');
    expect(statSync(hook).mode & 0o777).toBe(0o755);
    expect(readFileSync(hook, 'utf8')).toContain(`VIRT_SRIOV_CONFIG_PATH=${CONFIG}`);
    expect(readFileSync(hook, 'utf8')).toContain(`VIRT_SRIOV_OPERATIONS_PATH=/usr/local/lib/virt-sriov/hooks/operations.cjs`);
    expect(existsSync(join(root, CONFIG))).toBe(true);
  });

  test('the man pages (gzipped, with the config path it was given) and the bash completion', () => {
    const page = gunzipSync(readFileSync(join(root, 'usr/local/share/man/man8/virt-sriov.8.gz'))).toString('utf8');
    expect(page).toContain(`else ${CONFIG.replace(/-/g, '\\-')})`);
    expect(page).toContain('\\fB/usr/local/lib/virt\\-sriov/\\fR');
    expect(page).not.toContain('/usr/lib/virt\\-sriov');
    expect(existsSync(join(root, 'usr/local/share/man/man5/virt-sriov.json.5.gz'))).toBe(true);
    expect(readFileSync(join(root, 'usr/local/share/bash-completion/completions/virt-sriov'), 'utf8')).toContain('complete -F _virt_sriov virt-sriov');
  });

  test('koffi as node loads it beside the CLI\'s bundle, without its C++ sources or its musl binary; its license in the copyright', () => {
    const load = spawnSync(process.execPath, ['-e', `console.log(require('node:module').createRequire(${JSON.stringify(join(lib(), 'bin/cli.cjs'))})('koffi').version)`], { encoding: 'utf8' });
    expect(load).toMatchObject({ status: 0, stderr: '' });
    expect(load.stdout.trim()).toMatch(/^\d+\.\d+/);
    const koffi = filesUnder(join(lib(), 'node_modules'));
    expect(koffi.filter((f) => /\.(cc|hh|S|asm)$|CMakeLists|musl_/.test(f))).toEqual([]);
    // its license is with the others
    expect(readFileSync(join(root, 'usr/local/share/doc/virt-sriov/copyright'), 'utf8')).toMatch(/^Files: node_modules\/koffi\/\*\nCopyright: .+\nLicense: Expat$/m);
  });

  test('the installed CLI runs, keeps a code cache for a command that succeeded, and none for one that failed', () => {
    const version = cli('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(readdirSync(join(lib(), 'bin/.cache'))).toEqual(['cli.cjs.default']);
    expect(cli('frobnicate').status).toBe(2);
    expect(readdirSync(join(lib(), 'bin/.cache'))).toEqual(['cli.cjs.default']);
  });

  test('the installed CLI reads the config install.sh was given, not the default', () => {
    // staged under DESTDIR, the config is not at its installed path yet: the error names that path
    const r = cli('logs');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`config ${CONFIG}`);
    expect(cli('--help').stdout.replace(/\s+/g, ' ')).toContain(`(default: $VIRT_SRIOV_CONFIG, else ${CONFIG})`);
  });

  test('--uninstall removes every file it installed, the code caches too', () => {
    const r = installSh('--uninstall');
    expect(r.status).toBe(0);
    expect(filesUnder(root)).toEqual([]);
  });
});
