/**
 * The built man pages and completion as an admin meets them: groff renders each page without a
 * warning and man shows it; the completion script parses and, sourced in bash, completes
 * commands, options, choices and live names: domains and networks from virsh (libvirt's test
 * driver, through -c on the line) and PFs and VFs from sysfs (a copy of its layout).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PROJECT = resolve('.');
const PAGES = ['dist/man/virt-sriov.8', 'dist/man/virt-sriov.json.5'];
const COMPLETION = join(PROJECT, 'dist/completion/virt-sriov.bash');
let sysfs: string;

beforeAll(() => {
  if (!existsSync(COMPLETION)) execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'pipe' });
  // eth1: an SR-IOV PF with two VFs; eth0: a plain NIC
  sysfs = mkdtempSync(join(tmpdir(), 'virt-sriov-completion-'));
  const device = join(sysfs, 'class/net/eth1/device');
  mkdirSync(device, { recursive: true });
  writeFileSync(join(device, 'sriov_totalvfs'), '7\n');
  symlinkSync('../0000:01:10.0', join(device, 'virtfn0'));
  symlinkSync('../0000:01:10.4', join(device, 'virtfn1'));
  mkdirSync(join(sysfs, 'class/net/eth0/device'), { recursive: true });
}, 60_000);
afterAll(() => rmSync(sysfs, { recursive: true, force: true }));

describe('man pages', () => {
  test.each(PAGES)('%s: groff -ww renders it without a warning', (page) => {
    const r = spawnSync('groff', ['-ww', '-z', '-man', '-Tutf8', page], { encoding: 'utf8' });
    expect(r).toMatchObject({ status: 0, stderr: '' });
  });

  test('man -l shows each, with its sections', () => {
    const show = (page: string) => spawnSync('man', ['-l', page], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' } });
    const cli = show(PAGES[0]!);
    expect(cli).toMatchObject({ status: 0, stderr: '' });
    expect(cli.stdout).toMatch(/^VIRT-SRIOV\(8\)/);
    expect(cli.stdout).toContain('virt-sriov attach [options] <domain>');
    expect(cli.stdout).toMatch(/EXAMPLES\n/);
    const config = show(PAGES[1]!);
    expect(config.stdout).toMatch(/^VIRT-SRIOV.JSON\(5\)/);
    expect(config.stdout).toContain('releasePolicy ("restore" or "reset")');
  });
});

describe('bash completion', () => {
  test('parses (bash -n)', () => {
    expect(spawnSync('bash', ['-n', COMPLETION], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
  });

  /** What bash offers for `line` (the cursor at its end), one word per line. */
  function complete(...lines: string[]): string[][] {
    const script = `source ${JSON.stringify(COMPLETION)}
for line in "$@"; do
  COMP_LINE=$line COMP_POINT=\${#line} COMPREPLY=()
  complete -p virt-sriov >/dev/null && $(complete -p virt-sriov | sed -E 's/.*-F ([^ ]+).*/\\1/')
  printf '%s\\n' "\${COMPREPLY[*]}"
done`;
    const r = spawnSync('bash', ['--norc', '-c', script, 'completion-test', ...lines], {
      encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', VIRT_SRIOV_SYSFS: sysfs, LIBVIRT_DEFAULT_URI: 'test:///default' }, timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').slice(0, lines.length).map((l) => (l ? l.split(' ') : []));
  }

  test('commands, options of a command, and the choices of --to and of on|off values', () => {
    const [commands, prefix, options, to, trust] = complete('virt-sriov ', 'virt-sriov de', 'virt-sriov detach --', 'virt-sriov convert --to ', 'virt-sriov attach vm --trust o');
    expect(commands).toEqual(['convert', 'define', 'attach', 'detach', 'set', 'migrate', 'vfs', 'style', 'network', 'status', 'top', 'metrics', 'watch', 'logs', 'doctor', 'hook']);
    expect(prefix).toEqual(['define', 'detach']);
    expect(options).toEqual(expect.arrayContaining(['--mac', '--vf', '--config', '--dry-run', '--connect']));
    expect(options).not.toContain('--pf');
    expect(to).toEqual(['hostdev', 'interface', 'network']);
    expect(trust).toEqual(['on', 'off']);
  });

  test('domain and network names from virsh, on the URI -c names on the line', () => {
    const [domains, networks, onUri] = complete('virt-sriov attach ', 'virt-sriov attach vm --network ', 'virt-sriov -c test:///default detach t');
    expect(domains).toEqual(['test']);
    expect(networks).toEqual(['default']);
    expect(onUri).toEqual(['test']);
  });

  test('PFs and VFs from sysfs; a PCI address completes past its colons', () => {
    const [pfs, vfsArg, vfs, partial] = complete('virt-sriov status --pf ', 'virt-sriov vfs ', 'virt-sriov detach vm --vf ', 'virt-sriov detach vm --vf 0000:01:10.');
    expect(pfs).toEqual(['eth1']);
    expect(vfsArg).toEqual(['eth1']);
    expect(vfs).toEqual(['0000:01:10.0', '0000:01:10.4']);
    // bash replaces only the text after the last colon (a word break): the rest is dropped
    expect(partial).toEqual(['10.0', '10.4']);
  });

  test('a new network\'s name offers nothing; the word after a flag is completed as usual; a command without arguments offers its options', () => {
    const [name, afterFlag, noArguments] = complete('virt-sriov network --name ', 'virt-sriov status --json --p', 'virt-sriov status ');
    expect(name).toEqual([]);
    expect(afterFlag).toEqual(['--pf']);
    expect(noArguments).toEqual(['-c', '--connect', '--config-file', '--json', '--pf', '-h', '--help']);
  });
});
