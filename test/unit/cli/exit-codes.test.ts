import { describe, expect, test } from '@jest/globals';
import { cli } from './cli-helpers.js';

const COMMANDS = ['doctor', 'convert', 'define', 'attach', 'detach', 'vfs', 'style', 'network', 'status', 'top', 'metrics', 'logs'];

describe('help on every command: exit 0, on stdout', () => {
  test('virt-sriov --help lists every command', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: virt-sriov \[options\] \[command\]/);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`\\n  ${c} `));
  });

  test.each(COMMANDS)('%s --help, -h and help %s', async (command) => {
    for (const argv of [[command, '--help'], [command, '-h'], ['help', command]]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^Usage: virt-sriov ${command} \\[options\\]`));
      // -c/--connect and --config-file are accepted everywhere; --config is virsh's, shown only where it is
      expect(r.stdout).toContain('-c, --connect <uri>');
      expect(r.stdout).toContain('--config-file <file>');
      expect(r.stdout.includes('--config ')).toBe(command === 'attach' || command === 'detach');
    }
  });

  test('convert --help explains the styles and their versions', async () => {
    const r = await cli(['convert', '--help']);
    expect(r.stdout).toContain('interface  <interface type=\'hostdev\'>: libvirt >= 0.9.11, qemu >= 1.3');
    expect(r.stdout).toContain('network    <interface type=\'network\'> on a hostdev network: libvirt >= 0.10.0, qemu >= 1.3');
  });

  test('--version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+(-dev)?\n$/);
  });
});

describe('bad usage: exit 2, the error on stderr, nothing on stdout', () => {
  test('an unknown command', async () => {
    const r = await cli(['frobnicate']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: "error: unknown command 'frobnicate'\n(add --help for usage)\n" });
  });

  test.each(COMMANDS)('an unknown option to %s', async (command) => {
    const required = command === 'network' ? ['--name', 'sriov', '--pf', 'eth1'] : [];
    const r = await cli([command, ...required, '--frobnicate']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: "error: unknown option '--frobnicate'\n(add --help for usage)\n" });
  });

  test('an unknown option before the command', async () => {
    const r = await cli(['--frobnicate', 'status']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  test('an option without its value', async () => {
    const r = await cli(['style', '--libvirt']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/option '--libvirt <version>' argument missing/);
  });

  test('-c/--connect and --config-file are accepted before and after the command', async () => {
    for (const argv of [
      // the test driver reports libvirt's version and no QEMU: every style
      ['-c', 'test:///default', 'style', '--json'],
      ['style', '--connect', 'test:///default', '--json'],
      ['--config-file', '/nonexistent.json', 'style', '--libvirt-version', '9.0.0', '--qemu-version', '7.2.0', '--json'], // style needs no config
      ['style', '--config-file', '/nonexistent.json', '--libvirt-version', '9.0.0', '--qemu-version', '7.2.0', '--json'],
    ]) {
      const r = await cli(argv);
      expect(r).toEqual({ code: 0, stdout: '{"supported":["network","interface","hostdev"],"vlanInXml":true}\n', stderr: '' });
    }
  });
});
