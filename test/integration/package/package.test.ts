/**
 * `npm run package` (scripts/package.sh): the .deb holds exactly what install.sh stages for
 * /usr (one list of installed files, not two), with the same modes and bytes; its control
 * says the version package.json says, what it depends on, which files are conffiles; and
 * lintian finds nothing (each override is justified in packaging/deb/lintian-overrides).
 * Installing it on a fresh Debian 12 is test/fresh-root/deb.sh's (CI).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PROJECT = resolve('.');
const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
let work: string;
let deb: string;

/** path -> "mode size md5" (or "-> target" for a link) for every file of a tree. */
function tree(dir: string): Map<string, string> {
  const out = execFileSync('bash', ['-c', `cd "$1" && find . -path ./DEBIAN -prune -o \\( -type f -o -type l \\) -printf '%P\\t%y %m %l\\n' | sort`, 'tree', dir], { encoding: 'utf8' });
  return new Map(out.trim().split('\n').map((l) => {
    const [path, what] = l.split('\t') as [string, string];
    const sum = what.startsWith('f') ? ` ${execFileSync('md5sum', [join(dir, path)], { encoding: 'utf8' }).split(' ')[0]}` : '';
    return [`/${path}`, `${what.trimEnd()}${sum}`];
  }));
}

beforeAll(() => {
  if (!existsSync('dist/cli.cjs')) execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
  work = mkdtempSync(join(tmpdir(), 'virt-sriov-package-'));
  deb = execFileSync('bash', [join(PROJECT, 'scripts/package.sh'), '--no-build', '--out', work], { encoding: 'utf8', timeout: 120_000 }).trim();
  execFileSync('dpkg-deb', ['-R', deb, join(work, 'deb')]);
  execFileSync('bash', [join(PROJECT, 'install.sh'), '--no-build', '--prefix', '/usr', '--node', '/usr/bin/node', '--libvirt-version', '9.0.0'],
    { env: { ...process.env, DESTDIR: join(work, 'staged') }, stdio: 'pipe' });
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the .deb', () => {
  test('is named for package.json\'s version and this machine\'s architecture', () => {
    const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
    expect(deb).toBe(join(work, `virt-sriov_${VERSION}_${arch}.deb`));
  });

  test('holds exactly what install.sh stages for /usr, same modes, same bytes (less its manifest, plus lintian\'s overrides)', () => {
    const staged = tree(join(work, 'staged'));
    expect(staged.delete('/usr/lib/virt-sriov/install-manifest')).toBe(true);
    const packaged = tree(join(work, 'deb'));
    expect(packaged.delete('/usr/share/lintian/overrides/virt-sriov')).toBe(true);
    expect([...packaged]).toEqual([...staged]);
    // what the tree has: the hooks where Debian 12's libvirt runs them, the CLI, the pages, the completion
    for (const f of ['/etc/libvirt/hooks/qemu.d/virt-sriov', '/etc/libvirt/hooks/network.d/virt-sriov', '/etc/libvirt/hooks/daemon.d/virt-sriov',
      '/usr/share/man/man8/virt-sriov.8.gz', '/usr/share/man/man5/virt-sriov.json.5.gz', '/usr/share/bash-completion/completions/virt-sriov',
      '/usr/share/doc/virt-sriov/copyright', '/usr/share/doc/virt-sriov/changelog.gz', '/etc/virt-sriov/config.json',
      '/usr/lib/systemd/system/virt-sriov-watch.service']) {
      expect(packaged.has(f)).toBe(true);
    }
    // the watcher's unit, shipped disabled: no link enables it
    expect([...packaged.keys()].filter((f) => f.startsWith('/etc/systemd/'))).toEqual([]);
    expect(readFileSync(join(work, 'deb/usr/lib/systemd/system/virt-sriov-watch.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/bin\/virt-sriov watch$/m);
    expect(packaged.get('/usr/bin/virt-sriov')).toBe('l 777 ../lib/virt-sriov/bin/virt-sriov.mjs');
    expect(packaged.get('/etc/libvirt/hooks/qemu.d/virt-sriov')).toMatch(/^f 755 /);
    // Debian's node, baked in
    expect(readFileSync(join(work, 'deb/usr/lib/virt-sriov/bin/virt-sriov.mjs'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/node');
  });

  test('everything in it is root\'s and writable by no one else (the hooks\' trust rule)', () => {
    const listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.filter((l) => !/^l/.test(l) && !/^[-d]r[w-][x-]r-[x-]r-[x-] root\/root /.test(l))).toEqual([]);
  });

  test('control: the version, Debian 12\'s packages as dependencies; the config and logrotate rule are conffiles, the hooks not', () => {
    const field = (f: string) => execFileSync('dpkg-deb', ['-f', deb, f], { encoding: 'utf8' }).trim();
    expect(field('Package')).toBe('virt-sriov');
    expect(field('Version')).toBe(VERSION);
    expect(field('Depends')).toMatch(/^nodejs \(>= 18\.19\), iproute2, libvirt0/);
    expect(field('Recommends')).toContain('libvirt-daemon-system');
    expect(readFileSync(join(work, 'deb/DEBIAN/conffiles'), 'utf8')).toBe('/etc/logrotate.d/virt-sriov\n/etc/virt-sriov/config.json\n');
    for (const script of ['postinst', 'prerm', 'postrm']) expect(spawnSync('sh', ['-n', join(work, 'deb/DEBIAN', script)]).status).toBe(0);
    // the watcher: its enable links recorded at configure (so purge removes them), stopped at remove; never enabled by the package
    const script = (name: string) => readFileSync(join(work, 'deb/DEBIAN', name), 'utf8');
    expect(script('postinst')).toContain('deb-systemd-helper update-state virt-sriov-watch.service');
    const commands = script('postinst').split('\n').filter((l) => !/^\s*(#|echo )/.test(l));
    expect(commands.filter((l) => /\benable\b|\bstart\b/.test(l))).toEqual([]);
    expect(script('postinst')).toContain('echo "virt-sriov: the watcher (plain virsh attach-device / detach-device) is installed, not enabled: systemctl enable --now virt-sriov-watch"');
    expect(script('prerm')).toContain('deb-systemd-invoke stop virt-sriov-watch.service');
    expect(script('postrm')).toContain('deb-systemd-helper purge virt-sriov-watch.service');
  });

  test('lintian finds nothing, pedantic and informational tags included', () => {
    const r = spawnSync('lintian', ['-I', '--pedantic', '--fail-on', 'error,warning,info,pedantic', deb], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  }, 150_000);
});
