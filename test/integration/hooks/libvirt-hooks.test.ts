/**
 * The hooks as libvirt runs them: a real libvirtd private to this file (mount + PID namespace,
 * test/integration/support/private-libvirtd.ts), virt-sriov installed into it by install.sh,
 * its config pointing the hooks at a fake SR-IOV host (an igb-like PF eth0 at 0000:01:00.0 with
 * 0 VFs, configured for 2): a sysfs tree in /tmp, an `ip` that acts on it, and a fake kernel
 * process that creates VFs when a hook writes sriov_numvfs.
 *
 * This kernel has no VFIO: a domain with a VF fails right after `prepare` (and `stopped` and
 * `release` still run), and a hostdev network fails right after its `start` hook, on the real
 * eth0 that has no VFs. So everything up to those points is shown through libvirt here; the
 * `start` path on real VFs is the lab's (test/lab).
 *
 * The tests run in order and build on each other, as an admin's session would.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HookLogEntry } from '../../../src/log/hook-log.js';
import { FakeHost, FRESH_VF } from '../../support/fake-host.js';
import { withFakeHostLock } from '../../support/fake-host-lock.js';
import { bundleFakeHostProcesses, startFakeKernel, type FakeHostBundles, type FakeKernel } from '../../support/fake-host-processes.js';
import { startPrivateLibvirtd, waitFor, type ExecResult, type PrivateLibvirtd } from '../support/private-libvirtd.js';
import { DIST, PROJECT, domainXml, readHookLog, requireBuild, stateStore, writeSuiteConfig, type DomainSpec, type SuiteConfig } from './hook-suite.js';

const VF1 = '0000:01:10.2'; // eth0 vf 1 (igb: VFs at 01:10.0, 01:10.2, ...)
const GUEST_SETTINGS = { pci: VF1, vlan: '403', trust: 'on' };

// /tmp is shared with the namespace: the hooks inside and the test outside see the same files.
const work = mkdtempSync(join(tmpdir(), 'virt-sriov-hooks-it-'));
const prefix = join(work, 'prefix'); // install.sh --prefix
const privateLogrotate = join(work, 'logrotate.d'); // bind-mounted on /etc/logrotate.d inside
let bundles: FakeHostBundles;
let host: FakeHost;
let kernel: FakeKernel;
let config: SuiteConfig;
let libvirt: PrivateLibvirtd | undefined;
let hooksBeforeInstall = '';
const timings: Record<string, number> = {};

function daemon(): PrivateLibvirtd {
  if (!libvirt) throw new Error('private libvirtd did not start (see beforeAll)');
  return libvirt;
}

const log = (): HookLogEntry[] => readHookLog(config.logFile);
const records = () => stateStore(config.stateDir).all();
const eth0 = () => host.load().pfs.eth0!;

/** The log lines written while `action` ran. */
async function loggedDuring(action: () => Promise<unknown>): Promise<HookLogEntry[]> {
  const before = log().length;
  await action();
  return log().slice(before);
}

async function timed<T>(label: string, action: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await action();
  } finally {
    timings[label] = Math.round(performance.now() - t0);
  }
}

/** virsh define/net-define from a file: `virsh define /dev/stdin` can't open node's stdin socket. */
async function define(name: string, xml: string, kind: 'define' | 'net-define' = 'define'): Promise<void> {
  const file = join(work, `${name}.xml`);
  writeFileSync(file, xml);
  await daemon().virshOk(kind, file);
}

const defineDomain = (name: string, spec: DomainSpec = {}) => define(name, domainXml(name, spec));

/** The built CLI, as an admin runs it (outside the namespace: same files, no libvirt needed). */
async function cli(args: string[], input?: string): Promise<ExecResult> {
  const r = await execa(process.execPath, [DIST.cli, ...args], { input: input ?? '', reject: false, timeout: 20_000 });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Both the libvirt side and the host side of a reboot: VFs gone, PF down. No VF may be in use. */
async function rebootFakeHost(): Promise<void> {
  await kernel.setNumVfs('eth0', 0);
  withFakeHostLock(host.root, () => host.update((s) => (s.pfs.eth0!.up = false)));
}

/** /etc/libvirt/hooks as libvirt sees it: every entry with type, mode and owner, every file's sha256. */
async function hooksListing(): Promise<string> {
  const r = await daemon().exec('bash', ['-c',
    'cd /etc/libvirt/hooks && find . -mindepth 1 -printf "%p %y %M %u:%g\\n" | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum']);
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

/**
 * Someone else's hook, there before virt-sriov is installed (and so kept by --uninstall). It also
 * stands in for the qemu `start` hook, which this kernel never lets libvirt reach: at `prepare`
 * of vf-guest (it runs after virt-sriov's, in name order) it puts that guest's VLAN and trust on
 * its VF, so `stopped` has a guest's settings to clean up.
 */
function standInHook(ipCommand: string[]): string {
  return `#!/bin/bash
# someone else's qemu hook (virt-sriov integration test)
cat > /dev/null
if [ "$1" = vf-guest ] && [ "$2" = prepare ]; then
  echo 'link set dev eth0 vf 1 vlan 403 trust on' | ${ipCommand.map((a) => `'${a}'`).join(' ')} -batch -
fi
exit 0
`;
}

beforeAll(async () => {
  requireBuild();
  const t0 = performance.now();
  bundles = await bundleFakeHostProcesses();
  host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 0, refuses: ['state', 'proto'] }], join(work, 'fake-host'));
  kernel = await startFakeKernel(bundles, host);
  config = writeSuiteConfig(work, host, bundles);
  mkdirSync(privateLogrotate);
  libvirt = await startPrivateLibvirtd({
    beforeDaemonStart(paths) {
      mkdirSync(join(paths.hooks, 'qemu.d'), { recursive: true });
      writeFileSync(join(paths.hooks, 'qemu.d', 'zz-other'), standInHook(bundles.ipCommand(host)), { mode: 0o750 });
    },
  });
  timings['setup (bundles, fake host, daemon)'] = Math.round(performance.now() - t0);
}, 60_000);

afterAll(async () => {
  await libvirt?.stop();
  await kernel?.stop();
  bundles?.remove();
  rmSync(work, { recursive: true, force: true });
  if (process.env.VIRT_SRIOV_HOOK_TIMINGS) console.info(`hook integration timings (ms): ${JSON.stringify(timings)}`);
}, 30_000);

describe('virt-sriov hooks in a real libvirtd, on a fake SR-IOV host', () => {
  test('install.sh inside the namespace installs the three hooks with the config baked in; at restart the daemon hook gives eth0 its 2 VFs', async () => {
    hooksBeforeInstall = await hooksListing();
    expect(hooksBeforeInstall).toContain('./qemu.d/zz-other f');

    const r = await daemon().exec('bash', ['-c', 'mount --bind "$1" /etc/logrotate.d && exec "$2" --no-build --prefix "$3" --config "$4"',
      'install', privateLogrotate, join(PROJECT, 'install.sh'), prefix, config.path]);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain('virt-sriov: installed for libvirt 9.0.0');
    expect(r.stdout).toContain('hooks: /etc/libvirt/hooks/{qemu,network,daemon}.d/virt-sriov');
    expect(r.stdout).toMatch(/restart libvirtd/);
    // the host carries virt-sriov's mark, so migrations may come here
    expect(r.stdout).toMatch(/^virt-sriov: migrations: \S+ \(qemu:\/\/\/system\): now carries virt-sriov's mark/m);
    expect(await daemon().virshOk('nwfilter-list')).toMatch(/\bvirt-sriov\b/);

    for (const driver of ['qemu', 'network', 'daemon']) {
      const file = join(daemon().paths.hooks, `${driver}.d`, 'virt-sriov');
      expect(statSync(file).mode & 0o7777).toBe(0o755);
      const text = readFileSync(file, 'utf8');
      // libvirt gives hooks no useful PATH: an absolute interpreter (the bash entry's), the node
      // it starts for calls with work absolute too, and the config path baked in
      expect(text.split('\n')[0]).toMatch(/^#!\/\S+\/bash --norc$/);
      expect(text).toMatch(/^node='VIRT_SRIOV_NODE_PATH=\/\S+\/node'/m);
      expect(text).toContain(`VIRT_SRIOV_CONFIG_PATH=${config.path}`);
    }
    expect(readdirSync(privateLogrotate)).toEqual(['virt-sriov']);
    expect(eth0().vfs).toHaveLength(0);

    // libvirt looks for hooks only when it starts
    const lines = await loggedDuring(async () => {
      timings['daemon restart after install'] = await daemon().restartDaemon();
      await waitFor('the daemon start hook', () => log().some((e) => e.hook === 'daemon' && e.op === 'start'));
    });
    // The daemon that started before install still ran the new daemon hook at its shutdown
    // (libvirt 9.0 looks at the hooks dir again then); not virt-sriov's business: ignored.
    expect(lines).toEqual([
      expect.objectContaining({ hook: 'daemon', op: 'shutdown', object: '-', result: 'ignored' }),
      expect.objectContaining({ hook: 'daemon', op: 'start', object: '-', result: 'ok', notes: ['eth0: VFs 0 -> 2'] }),
    ]);
    expect(eth0().vfs).toEqual([FRESH_VF, FRESH_VF]);
    expect(kernel.events()).toEqual([expect.objectContaining({ pf: 'eth0', wrote: '2', from: 0, result: 'ok' })]);
  }, 60_000);

  test('a domain without VFs runs every qemu operation through define/start/destroy: one log line per call, and no ip process', async () => {
    await defineDomain('plain');
    const ipCalls = host.calls().length;
    const lines = await loggedDuring(async () => {
      await timed('virsh start (TCG, hooks)', () => daemon().virshOk('start', 'plain'));
      await timed('virsh destroy (TCG, hooks)', () => daemon().virshOk('destroy', 'plain'));
    });
    expect(lines.map((e) => `${e.hook} ${e.op} ${e.subop} ${e.object} ${e.result}`)).toEqual([
      'qemu prepare begin plain ok',
      'qemu start begin plain ok',
      'qemu started begin plain ignored',
      'qemu stopped end plain ok',
      'qemu release end plain ok',
    ]);
    for (const e of lines) {
      expect(e.durationMs).toEqual(expect.any(Number));
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(e.time)).not.toBeNaN();
      expect(e).toMatchObject({ vfs: [], changes: [] });
      expect(e.error).toBeUndefined();
    }
    expect(host.calls()).toHaveLength(ipCalls);
    expect(records()).toEqual([]);
  }, 30_000);

  test('a VF on a PF with 0 VFs (after a reboot): prepare creates the VFs and claims it, libvirt then fails (no VFIO), and stopped + release put the VF back', async () => {
    await rebootFakeHost();
    await defineDomain('vf-guest', { hostdev: VF1, vfs: [GUEST_SETTINGS] });

    let start: ExecResult | undefined;
    const lines = await loggedDuring(async () => (start = await timed('virsh start (VF, fails)', () => daemon().virsh('start', 'vf-guest'))));
    expect(start?.exitCode).toBe(1);
    expect(start?.stderr).toContain("error: Failed to start domain 'vf-guest'");
    expect(start?.stderr).toContain("host doesn't support passthrough of host PCI devices");
    expect(start?.stderr).not.toContain('virt-sriov');

    expect(lines.map((e) => `${e.op} ${e.result}`)).toEqual(['prepare ok', 'stopped ok', 'release ok']);
    const [prepare, stopped, release] = lines as [HookLogEntry, HookLogEntry, HookLogEntry];
    expect(prepare).toMatchObject({ object: 'vf-guest', vfs: [expect.stringContaining(VF1)], notes: ['eth0: VFs 0 -> 2', 'eth0: brought up'], changes: [] });
    // stopped put back what the guest had on the VF, from the state prepare saved
    expect(stopped.changes).toEqual(expect.arrayContaining([
      { pf: 'eth0', vf: 1, pci: VF1, setting: 'vlan', from: '403', to: 'none' },
      { pf: 'eth0', vf: 1, pci: VF1, setting: 'trust', from: 'on', to: 'off' },
    ]));
    expect(release).toMatchObject({ vfs: [expect.stringContaining(VF1)], changes: [] });

    // the fake PF got its 2 VFs from prepare (the sriov_numvfs write reached the kernel)
    expect(kernel.events().at(-1)).toMatchObject({ pf: 'eth0', wrote: '2', from: 0, result: 'ok' });
    expect(eth0().vfs).toHaveLength(2);
    // and nothing of the guest's stays: no state, VF 1 as it was created
    expect(records()).toEqual([]);
    expect(host.vf('eth0', 1)).toEqual(FRESH_VF);
    expect((await daemon().virshOk('domstate', 'vf-guest')).trim()).toBe('shut off');
  }, 30_000);

  test('virsh start refuses a VLAN of 5000 with virt-sriov\'s message (domain, VF, range), and nothing on the host changes', async () => {
    await defineDomain('bad-vlan', { hostdev: VF1, vfs: [{ pci: VF1, vlan: '5000' }] });
    const before = eth0();
    const ipCalls = host.calls().length;

    let start: ExecResult | undefined;
    const lines = await loggedDuring(async () => (start = await daemon().virsh('start', 'bad-vlan')));
    expect(start?.exitCode).toBe(1);
    expect(start?.stderr).toMatch(/unexpected exit status 1: virt-sriov: domain bad-vlan, metadata for VF 0000:01:10\.2: VLAN 5000 is out of range \(1-4094\)\n +fix: /);
    expect(lines.map((e) => `${e.op} ${e.result}`)).toEqual(['prepare refused', 'stopped ok', 'release ok']);
    expect(lines[0]?.error).toContain('VLAN 5000');

    expect(eth0()).toEqual(before);
    expect(host.calls()).toHaveLength(ipCalls); // not even a read
    expect(records()).toEqual([]);
  }, 30_000);

  test('virsh start refuses a VF another guest holds, naming that guest, and leaves the other guest\'s claim alone', async () => {
    // another guest claims VF 1: its prepare, replayed with the CLI exactly as the hook runs it
    const otherXml = domainXml('other', { uuid: '6f1e0000-0000-4000-8000-000000000001', hostdev: VF1 });
    const claim = await cli(['hook', 'qemu', 'other', 'prepare', 'begin', '-', '--config-file', config.path], otherXml);
    expect(claim).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(records()).toMatchObject([{ pci: VF1, owner: { name: 'other' }, phase: 'claimed' }]);

    await defineDomain('thief', { hostdev: VF1 });
    let start: ExecResult | undefined;
    const lines = await loggedDuring(async () => (start = await daemon().virsh('start', 'thief')));
    expect(start?.exitCode).toBe(1);
    expect(start?.stderr).toMatch(/virt-sriov: domain thief: VF 0000:01:10\.2 \(eth0 vf 1\) is held by guest other/);
    expect(lines.map((e) => `${e.object} ${e.op} ${e.result}`)).toEqual(['thief prepare refused', 'thief stopped ok', 'thief release ok']);
    // thief's stopped and release did not touch what is other's
    expect(records()).toMatchObject([{ pci: VF1, owner: { name: 'other' }, phase: 'claimed' }]);

    const freed = await cli(['hook', 'qemu', 'other', 'release', 'end', '-', '--config-file', config.path], otherXml);
    expect(freed.exitCode).toBe(0);
    expect(records()).toEqual([]);
  }, 30_000);

  test('a hostdev network from `virt-sriov network`: net-start runs the network hook first (eth0 gets its VFs and goes up), then libvirt fails on the real eth0', async () => {
    const net = await cli(['network', '--name', 'sriov', '--pf', 'eth0', '--config-file', config.path]);
    expect(net.exitCode).toBe(0);
    expect(net.stdout).toMatch(/<forward mode='hostdev' managed='yes'>[\s\S]*<pf dev='eth0'\/>\s*<\/forward>/);
    await define('sriov', net.stdout, 'net-define');
    await rebootFakeHost();
    expect(eth0()).toMatchObject({ up: false, vfs: [] });

    let start: ExecResult | undefined;
    const lines = await loggedDuring(async () => (start = await timed('virsh net-start (fails)', () => daemon().virsh('net-start', 'sriov'))));
    expect(lines).toEqual([expect.objectContaining({
      hook: 'network', op: 'start', subop: 'begin', object: 'sriov', result: 'ok', notes: ['eth0: VFs 0 -> 2', 'eth0: brought up'],
    })]);
    expect(eth0()).toMatchObject({ up: true, vfs: [FRESH_VF, FRESH_VF] });
    // libvirt expands <pf dev='eth0'> only after the hook, and on the machine's own eth0 (no SR-IOV)
    expect(start?.exitCode).toBe(1);
    expect(start?.stderr).toContain("error: Failed to start network sriov");
    expect(start?.stderr).toContain("No usable Vf's present on SRIOV PF eth0");
    expect((await daemon().virshOk('net-list', '--all', '--name')).split('\n').map((l) => l.trim())).toContain('sriov');
  }, 30_000);

  test('the daemon restarts while the VF-less domain runs: reconnect is logged ok and the guest keeps running; the daemon hook restores eth0\'s VFs', async () => {
    await daemon().virshOk('start', 'plain');
    await rebootFakeHost(); // as if the host had lost its VFs: no VF is in use
    const lines = await loggedDuring(async () => {
      timings['daemon restart (guest running)'] = await daemon().restartDaemon();
      // the daemon answers before its reconnect threads have run the hook
      await waitFor('the reconnect hook', () => log().some((e) => e.op === 'reconnect' && e.object === 'plain'));
    });
    expect(lines.map((e) => `${e.hook} ${e.op} ${e.object} ${e.result}`)).toEqual([
      'daemon shutdown - ignored', // the old daemon's last call: not virt-sriov's business
      'daemon start - ok',
      'qemu reconnect plain ok',
    ]);
    expect(lines[1]?.notes).toEqual(['eth0: VFs 0 -> 2', 'eth0: brought up']);
    expect(eth0()).toMatchObject({ up: true, vfs: [FRESH_VF, FRESH_VF] });
    expect((await daemon().virshOk('domstate', 'plain')).trim()).toBe('running');

    const stop = await loggedDuring(() => daemon().virshOk('destroy', 'plain'));
    expect(stop.map((e) => `${e.op} ${e.result}`)).toEqual(['stopped ok', 'release ok']);
  }, 60_000);

  test('`virt-sriov logs` renders those calls for an admin, and --domain keeps one guest\'s', async () => {
    const all = await cli(['logs', '--config-file', config.path]);
    expect(all.exitCode).toBe(0);
    const heads = all.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d /.test(l));
    expect(heads).toHaveLength(log().length);
    expect(all.stdout).toMatch(/^\S+ \S+\s+daemon start\s+-\s+ok\s+\d+ ms\n {4}note: eth0: VFs 0 -> 2$/m);
    expect(all.stdout).toMatch(/network start\s+sriov\s+ok\s+\d+ ms/);

    const guest = await cli(['logs', '--domain', 'vf-guest', '--config-file', config.path]);
    expect(guest.exitCode).toBe(0);
    const guestHeads = guest.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d /.test(l));
    expect(guestHeads.map((l) => l.split(/\s{2,}/).slice(1, 4).join(' | '))).toEqual([
      'qemu prepare | vf-guest | ok', 'qemu stopped | vf-guest | ok', 'qemu release | vf-guest | ok',
    ]);
    expect(guest.stdout).toContain('    note: eth0: VFs 0 -> 2');
    expect(guest.stdout).toContain(`    eth0 vf 1 (${VF1}): vlan 403 -> none`);
    expect(guest.stdout).toContain(`    eth0 vf 1 (${VF1}): trust on -> off`);

    const refused = await cli(['logs', '--domain', 'bad-vlan', '--config-file', config.path]);
    expect(refused.stdout).toMatch(/qemu prepare\s+bad-vlan\s+refused\s+\d+ ms\n {4}error: domain bad-vlan, metadata for VF 0000:01:10\.2: VLAN 5000 is out of range \(1-4094\)\n {6}fix: /);
    expect(refused.stdout).not.toContain('vf-guest');

    const json = await cli(['logs', '--domain', 'thief', '--json', '--config-file', config.path]);
    expect(json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as HookLogEntry).op)).toEqual(['prepare', 'stopped', 'release']);
  }, 30_000);

  test('install.sh --uninstall inside the namespace leaves /etc/libvirt/hooks exactly as it was before install', async () => {
    const r = await daemon().exec(join(PROJECT, 'install.sh'), ['--uninstall', '--prefix', prefix]);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain('virt-sriov: uninstalled');
    expect(await hooksListing()).toBe(hooksBeforeInstall);
    // the mark install put on goes with it
    expect(await daemon().virshOk('nwfilter-list')).not.toMatch(/\bvirt-sriov\b/);
    expect(existsSync(prefix) ? readdirSync(prefix) : []).toEqual([]);
    expect(readdirSync(privateLogrotate)).toEqual([]);
    // the config given with --config was the admin's: left alone
    expect(existsSync(config.path)).toBe(true);
    // the fake kernel never had to refuse a write
    expect(kernel.events().filter((e) => e.result !== 'ok')).toEqual([]);
  }, 30_000);
});
