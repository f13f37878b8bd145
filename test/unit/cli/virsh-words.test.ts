/**
 * The CLI as an admin who knows virsh types it: --config is virsh's, the config file is
 * --config-file (or $VIRT_SRIOV_CONFIG); -c is honoured or refused, never ignored; one naming of
 * versions across style and convert; replays that tell the truth.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { FakeHost, captureStdin } from '../../support/fake-host.js';
import { domainFixture } from '../helpers.js';
import { bundleFakeIp, cli, writeConfig } from './cli-helpers.js';

let ip: Awaited<ReturnType<typeof bundleFakeIp>>;
let host: FakeHost;
let config: string;
beforeAll(async () => {
  ip = await bundleFakeIp();
  host = FakeHost.create([{ name: 'eth1', pci: '0000:01:00.0', numVfs: 2 }]);
  config = writeConfig(host, { ipCommand: host.ipCommand(ip.file) });
}, 30_000);
afterAll(() => {
  host.remove();
  ip.remove();
});

/** A port that refuses at once: a remote URI that fails fast, without DNS or ssh. */
const REMOTE = 'qemu+tcp://127.0.0.1:1/system';

describe('--config is virsh\'s; virt-sriov\'s config file is --config-file or $VIRT_SRIOV_CONFIG', () => {
  test.each([
    [['status', '--config', '/etc/virt-sriov/config.json']],
    [['--config', '/etc/virt-sriov/config.json', 'status']],
    [['convert', '--to', 'hostdev', '--config', '/etc/virt-sriov/config.json']],
    [['hook', 'qemu', 'vm', 'prepare', 'begin', '-', '--config', '/etc/virt-sriov/config.json']],
  ])('the old spelling %j says what to type instead, and does nothing (exit 2)', async (argv) => {
    const r = await cli(argv, domainFixture('firewall.xml'));
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('virt-sriov: --config no longer names virt-sriov\'s config file: as in virsh, it means a domain\'s persistent definition (attach, detach)\n'
      + '  fix: give --config-file FILE, or set VIRT_SRIOV_CONFIG=FILE\n');
  });

  test('attach DOMAIN --config FILE: --config takes no file there, and the message says where the file goes', async () => {
    const r = await cli(['attach', 'vm1', '--pf', 'eth1', '--config', '/etc/virt-sriov/config.json']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^virt-sriov: --config takes no file: as in virsh, it means the domain's persistent definition/);
    expect(r.stderr).toContain('fix: give virt-sriov\'s config file with --config-file FILE (or VIRT_SRIOV_CONFIG=FILE)');
  });

  test('$VIRT_SRIOV_CONFIG names the config; --config-file wins over it', async () => {
    const other = FakeHost.create([{ name: 'eth7', pci: '0000:07:00.0', numVfs: 1 }]);
    const saved = process.env.VIRT_SRIOV_CONFIG;
    try {
      process.env.VIRT_SRIOV_CONFIG = writeConfig(other, { ipCommand: other.ipCommand(ip.file) });
      const fromEnv = await cli(['status', '-c', 'test:///default', '--json']);
      expect(JSON.parse(fromEnv.stdout).pfs.map((p: { name: string }) => p.name)).toEqual(['eth7']);
      const given = await cli(['status', '-c', 'test:///default', '--json', '--config-file', config]);
      expect(JSON.parse(given.stdout).pfs.map((p: { name: string }) => p.name)).toEqual(['eth1']);
      process.env.VIRT_SRIOV_CONFIG = '/nonexistent/config.json';
      expect((await cli(['status', '-c', 'test:///default'])).stderr).toMatch(/^virt-sriov: config \/nonexistent\/config\.json: ENOENT/);
    } finally {
      if (saved === undefined) delete process.env.VIRT_SRIOV_CONFIG;
      else process.env.VIRT_SRIOV_CONFIG = saved;
      other.remove();
    }
  });
});

describe('-c URI: honoured, or refused where a command works on this host only', () => {
  afterEach(() => {
    delete process.env.LIBVIRT_DEFAULT_URI;
  });

  test.each([
    [['vfs', 'eth1'], 'vfs works on this host only (it writes this host\'s sysfs)'],
    [['logs'], 'logs works on this host only (it reads this host\'s hook log)'],
    [['hook', 'qemu', 'fw', 'prepare', 'begin', '-'], 'hook works on this host only (hooks run on the host itself)'],
  ])('%j -c REMOTE is refused before anything runs (exit 2)', async (argv, message) => {
    for (const args of [[...argv, '-c', REMOTE], ['-c', REMOTE, ...argv]]) {
      const r = await cli([...args, '--config-file', config], domainFixture('firewall.xml'));
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toContain(`virt-sriov: ${message}, and -c ${REMOTE} names another`);
      expect(r.stderr).toContain(`fix: run it on that host (ssh HOST virt-sriov ${argv[0]} ...)`);
    }
  });

  test('status -c REMOTE is the fleet view: that host read through libvirt alone (here unreachable: named, exit 1)', async () => {
    for (const args of [['status', '-c', REMOTE], ['-c', REMOTE, 'status']]) {
      const r = await cli([...args, '--config-file', config]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`could not read ${REMOTE}`);
      expect(r.stdout).toContain('Only `virt-sriov status` run on the host itself shows');
    }
  });

  test('status with $LIBVIRT_DEFAULT_URI on another host is refused too, and says how to ask this one', async () => {
    process.env.LIBVIRT_DEFAULT_URI = REMOTE;
    const r = await cli(['status', '--config-file', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`and LIBVIRT_DEFAULT_URI=${REMOTE} names another`);
    expect(r.stderr).toContain('or give -c qemu:///system for this one');
    expect((await cli(['status', '-c', 'test:///default', '--json', '--config-file', config])).code).toBe(0);
  });

  test('style -c URI asks that connection for the versions (the test driver: libvirt\'s own, no QEMU limit)', async () => {
    const r = await cli(['style', '-c', 'test:///default']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^libvirt \d+\.\d+\.\d+ with any QEMU \(test:\/\/\/default\):\n {2}network /);
    const unreachable = await cli(['style', '-c', REMOTE]);
    expect(unreachable).toMatchObject({ code: 1, stdout: '' });
    expect(unreachable.stderr).toMatch(/^virt-sriov: libvirt could not connect to qemu\+tcp:\/\/127\.0\.0\.1:1\/system \(a problem of the connection\): /);
  });

  test('convert without --to, -c URI: the styles of that connection, said on stderr', async () => {
    const r = await cli(['convert', '-c', 'test:///default', '--vf', '0000:01:10.6', '--config-file', config], domainFixture('firewall.xml'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^virt-sriov: libvirt \d+\.\d+\.\d+ with any QEMU \(test:\/\/\/default\) runs: network, interface, hostdev\n/);
    const unreachable = await cli(['convert', '-c', REMOTE, '--config-file', config], domainFixture('firewall.xml'));
    expect(unreachable).toMatchObject({ code: 1, stdout: '' });
    expect(unreachable.stderr).toContain('(a problem of the connection)');
  });

  test('versions given and -c together are bad usage: one or the other', async () => {
    const r = await cli(['style', '-c', 'test:///default', '--libvirt-version', '9.0.0', '--qemu-version', '7.2.0']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('give the versions or -c test:///default, not both');
  });
});

describe('one naming for versions: --libvirt-version and --qemu-version, in style and convert', () => {
  test('style and convert take them; the old names still work, unlisted', async () => {
    const style = await cli(['style', '--libvirt-version', '0.9.12', '--qemu-version', '1.3.0', '--json']);
    expect(style.stdout).toBe('{"supported":["interface","hostdev"],"vlanInXml":false}\n');
    expect((await cli(['style', '--libvirt', '0.9.12', '--qemu', '1.3.0', '--json'])).stdout).toBe(style.stdout);
    const convert = await cli(['convert', '--libvirt-version', '0.9.12', '--qemu-version', '1.3.0', '--vf', '0000:01:10.6', '--config-file', config], domainFixture('firewall.xml'));
    expect(convert.code).toBe(0);
    expect(convert.stderr).toMatch(/^virt-sriov: libvirt 0\.9\.12 with qemu 1\.3\.0 runs: interface, hostdev\n/);
    const old = await cli(['convert', '--for-libvirt', '0.9.12', '--for-qemu', '1.3.0', '--vf', '0000:01:10.6', '--config-file', config], domainFixture('firewall.xml'));
    expect(old).toEqual(convert);
    for (const command of ['style', 'convert']) {
      const help = (await cli([command, '--help'])).stdout;
      expect(help).toContain('--libvirt-version <version>');
      expect(help).toContain('--qemu-version <version>');
      expect(help).not.toMatch(/--(for-)?libvirt </);
    }
  });
});

describe('virt-sriov hook: a replay runs on what libvirt would give the hook, or not at all', () => {
  const log = (): Record<string, unknown>[] => {
    const file = JSON.parse(readFileSync(config, 'utf8')).logFile as string;
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
  };

  const PIPE = 'fix: pipe it in: virsh dumpxml nosuchvm | virt-sriov hook qemu nosuchvm prepare begin -';
  test.each([
    ['empty stdin', '', /no XML on stdin; a replay needs the XML of domain nosuchvm, as libvirt gives it to the hook/, PIPE],
    ['garbage', 'garbage\n', /a replay needs the XML of domain nosuchvm, and stdin: malformed XML/, PIPE],
    ['a network XML', '<network><name>nosuchvm</name></network>', /and stdin: not a domain XML \(the root element is <network>\)/, PIPE],
    ['another domain\'s XML', captureStdin('qemu.l2-iface.prepare.begin.xml'), /stdin holds the XML of domain l2-iface, not nosuchvm/,
      'fix: give the name the XML has: virt-sriov hook qemu l2-iface prepare begin -'],
  ])('qemu prepare with %s: exit 2, nothing logged', async (_what, stdin, message, fix) => {
    const before = log().length;
    const r = await cli(['hook', 'qemu', 'nosuchvm', 'prepare', 'begin', '-', '--config-file', config], stdin);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(fix);
    expect(log().length).toBe(before);
  });

  test('stdin a terminal: refused at once, rather than waiting for a paste', async () => {
    const r = await cli(['hook', 'network', 'sriov', 'start', 'begin', '-', '--config-file', config], '', { terminal: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a replay reads the XML of network sriov on stdin, and stdin is a terminal\n {2}fix: pipe it in: virsh net-dumpxml sriov \| virt-sriov hook network sriov start begin -/);
  });

  test('a network replay takes the hook data, or the network XML alone', async () => {
    const r = await cli(['hook', 'network', 'sriov', 'stopped', 'end', '-', '--config-file', config], captureStdin('network.sriov.stopped.end.xml'));
    expect(r.code).toBe(0);
    const bare = await cli(['hook', 'network', 'pool', 'stopped', 'end', '-', '--config-file', config], "<network><name>pool</name><forward mode='hostdev'/></network>");
    expect(bare.code).toBe(0);
    const wrong = await cli(['hook', 'network', 'sriov', 'stopped', 'end', '-', '--config-file', config], '<domain><name>sriov</name></domain>');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("stdin: not a network hook's input (the root element is <domain>)");
  });

  test('a replay\'s log line is marked as one, and logs shows it', async () => {
    const r = await cli(['hook', 'qemu', 'fw', 'prepare', 'begin', '-', '--config-file', config], "<domain type='kvm'><name>fw</name><devices/></domain>");
    expect(r.stderr).toBe('');
    const entry = log().filter((e) => e.object === 'fw').pop();
    expect(entry).toMatchObject({ hook: 'qemu', op: 'prepare', object: 'fw', replay: true });
    const shown = await cli(['logs', '--domain', 'fw', '--config-file', config]);
    expect(shown.stdout.split('\n')[0]).toMatch(/qemu prepare +fw +\S+ +\d+ ms {2}\(replay: virt-sriov hook\)$/);
  });

  test('the daemon hook gets nothing on stdin from libvirt: its replay needs none', async () => {
    const r = await cli(['hook', 'daemon', '-', 'start', '-', 'start', '--config-file', config], '', { terminal: true });
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });
});
