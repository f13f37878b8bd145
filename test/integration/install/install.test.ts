/**
 * install.sh into a staging root (DESTDIR), as a packager runs it: the files it lays out, the
 * config path it bakes into the hooks and the CLI, the code caches the installed bundles keep,
 * and --uninstall leaving nothing behind.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { DEFAULTS } from '../../../src/config/config.js';

const PROJECT = resolve('.');
const UNIT = 'usr/local/lib/systemd/system/virt-sriov-watch.service';
const CONFIG = '/etc/virt-sriov-install-test/config.json';
let root: string;
const lib = () => join(root, 'usr/local/lib/virt-sriov');
const installSh = (...args: string[]) => spawnSync('bash', [join(PROJECT, 'install.sh'), ...args], {
  encoding: 'utf8', env: { ...process.env, DESTDIR: root }, timeout: 60_000,
});
const cli = (...args: string[]) => spawnSync(process.execPath, [join(lib(), 'bin/virt-sriov.mjs'), ...args], { encoding: 'utf8', timeout: 30_000 });

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

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
    // no libvirt to mark under DESTDIR: said, and the install goes on (the package marks the host)
    expect(r.stdout).toContain('virt-sriov: migrations: not marked (files staged under DESTDIR): virt-sriov migrate --mark-host on the host');
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

  test('the watcher\'s unit where systemd looks for this prefix\'s units, running the installed CLI, disabled, and said so', () => {
    const unit = readFileSync(join(root, UNIT), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/virt-sriov watch$/m);
    expect(unit).not.toContain('@BINDIR@');
    expect(existsSync(join(root, 'etc/systemd'))).toBe(false);
  });

  test('--uninstall removes every file it installed, the code caches too', () => {
    const r = installSh('--uninstall');
    expect(r.status).toBe(0);
    expect(filesUnder(root)).toEqual([]);
  });
});

describe('install.sh --with-watcher, where systemd does not run (a DESTDIR, a chroot, CI)', () => {
  const wants = () => join(root, 'etc/systemd/system/multi-user.target.wants/virt-sriov-watch.service');

  test('without it: the unit is installed, not enabled, and the output says how to enable it', () => {
    const r = installSh('--no-build', '--libvirt-version', '9.0.0');
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toContain(`watcher: /${UNIT} installed, not enabled (./install.sh --with-watcher enables it)`);
    expect(existsSync(join(root, UNIT))).toBe(true);
    expect(existsSync(wants())).toBe(false);
  });

  test('with it: enabled as systemctl enables it (the multi-user.target.wants link), not started, and said so', () => {
    const r = installSh('--no-build', '--libvirt-version', '9.0.0', '--with-watcher');
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(readlinkSync(wants())).toBe(`/${UNIT}`);
    expect(r.stdout).toContain(`watcher: /${UNIT} enabled (linked from /etc/systemd/system/multi-user.target.wants/virt-sriov-watch.service): `
      + 'it starts when systemd boots this root; systemd does not run here, so it was not started');
  });

  test('installing again without it keeps it enabled; --uninstall removes the unit, the link and the directories it made', () => {
    const r = installSh('--no-build', '--libvirt-version', '9.0.0');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('enabled (linked from');
    expect(installSh('--uninstall').status).toBe(0);
    expect(filesUnder(root)).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
  });

  test('--uninstall removes a link made by systemctl enable too (it would point at nothing), and only ours', () => {
    expect(installSh('--no-build', '--libvirt-version', '9.0.0').status).toBe(0);
    mkdirSync(dirname(wants()), { recursive: true });
    symlinkSync(`/${UNIT}`, wants());
    const other = join(dirname(wants()), 'other.service');
    symlinkSync('/usr/lib/systemd/system/other.service', other);
    expect(installSh('--uninstall').status).toBe(0);
    expect(existsSync(wants()) || lstatExists(wants())).toBe(false);
    expect(readlinkSync(other)).toBe('/usr/lib/systemd/system/other.service');
    rmSync(join(root, 'etc'), { recursive: true });
  });
});

describe('the watcher\'s unit', () => {
  const unit = readFileSync(join(PROJECT, 'packaging/systemd/virt-sriov-watch.service'), 'utf8');
  const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

  test('sandboxed: read-only but for the default state dir and the log\'s directory; CAP_NET_ADMIN its only capability', () => {
    expect(values('ProtectSystem')).toEqual(['strict']);
    expect(values('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN']);
    // the state dir is the hooks' too: created if missing, kept when the watcher stops
    expect(`/run/${values('RuntimeDirectory')[0]}`).toBe(DEFAULTS.stateDir);
    expect(values('RuntimeDirectoryPreserve')).toEqual(['yes']);
    expect(values('ReadWritePaths').flatMap((v) => v.split(/\s+/)).map((p) => p.replace(/^-/, ''))).toContain(dirname(DEFAULTS.logFile));
    // node's JIT writes the code it runs
    expect(values('MemoryDenyWriteExecute')).toEqual([]);
  });

  test('its ExecStart is the CLI\'s watch command, at the prefix install.sh fills in', () => {
    expect(values('ExecStart')).toEqual(['@BINDIR@/virt-sriov watch']);
    expect(values('WantedBy')).toEqual(['multi-user.target']);
  });
});
