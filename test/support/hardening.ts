/**
 * What the hardening suite (test/hardening) shares: fast-check settings (a fixed seed in CI, a
 * random one printed on failure locally), the figures each test writes for docs/reliability.md,
 * fake hosts on tmpfs (a property runs its hook 10,000 times), a fingerprint of everything a
 * hook may change, and an `ip` and a sysfs that record and check every value that reaches them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect } from '@jest/globals';
import type { Parameters } from 'fast-check';
import { OperationError } from '../../src/errors.js';
import type { IpTool } from '../../src/host/ip.js';
import type { Sysfs } from '../../src/host/sysfs.js';
import { runHook, type HookName, type HookResult } from '../../src/hooks/run-hook.js';
import { requireBuild } from '../integration/hooks/hook-suite.js';
import { FakeHost, igbVfAddress, type FakeHostState, type FakePfSpec } from './fake-host.js';
import { bundleFakeHostProcesses, type FakeHostBundles } from './fake-host-processes.js';
import { HookBench } from './hook-bench.js';

// ---- fast-check ----

/** Cases per property target and run: at least 10,000 (HARDENING_RUNS may raise it). */
export const RUNS = Math.max(10_000, Number(process.env.HARDENING_RUNS ?? 0) || 0);

/** Fixed in CI (reproducible), random locally (fast-check prints it with any counterexample). */
export function seedFor(): number {
  if (process.env.HARDENING_SEED) return Number(process.env.HARDENING_SEED);
  return process.env.CI ? 42 : (Math.random() * 0x7fffffff) | 0;
}

export function fcParams<T>(seed: number, numRuns = RUNS): Parameters<T> {
  // a case that hangs is a failure (a hook that never exits blocks libvirt), reported as such
  return { numRuns, seed, endOnFailure: true, timeout: 20_000 };
}

// ---- figures for docs/reliability.md ----

export interface Figure {
  /** The threat, as the table in docs/reliability.md names it. */
  readonly threat: string;
  readonly cases?: number;
  readonly faults?: number;
  readonly races?: number;
  readonly failures: number;
  readonly seed?: number;
  readonly seconds: number;
}

/** Where each test file writes its figures: HARDENING_SUMMARY_DIR (set by hardening-setup.mjs), else a temp dir. */
export const SUMMARY_DIR = process.env.HARDENING_SUMMARY_DIR ?? join(tmpdir(), 'virt-sriov-hardening');

/**
 * Record one figure of the running test, named `FILE › test name` (one JSON file per figure;
 * test/support/hardening-summary.mjs prints them as a table at the end of the run).
 */
export function recordFigure(id: string, figure: Figure): void {
  const { testPath, currentTestName } = expect.getState();
  const test = `${basename(testPath ?? '?')} › ${currentTestName ?? '?'}`;
  mkdirSync(SUMMARY_DIR, { recursive: true });
  writeFileSync(join(SUMMARY_DIR, `${id}.json`), JSON.stringify({ id, test, ...figure, at: new Date().toISOString() }, null, 2) + '\n');
}

export function since(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10;
}

// ---- fake hosts on tmpfs ----

/** tmpfs when the machine has it: state writes fsync, and a property runs 10,000 hooks. */
export function fastTmp(): string {
  return existsSync('/dev/shm') && statSync('/dev/shm').isDirectory() ? '/dev/shm' : tmpdir();
}

export function fastBench(pfs: FakePfSpec[], config: Record<string, unknown> = {}): HookBench {
  const before = process.env.TMPDIR;
  process.env.TMPDIR = fastTmp();
  try {
    return HookBench.create(pfs, config);
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

export const stateDirOf = (bench: HookBench) => join(bench.dir, 'state');

/**
 * For a test file that runs the built hooks as processes, as libvirt does: the fake host's `ip`
 * and kernel bundled once before its tests (`.bundles`), removed after them.
 */
export function hookProcesses(): { readonly bundles: FakeHostBundles } {
  const out = {} as { bundles: FakeHostBundles };
  beforeAll(async () => {
    requireBuild();
    out.bundles = await bundleFakeHostProcesses();
  }, 60_000);
  afterAll(() => out.bundles?.remove());
  return out;
}

/** Everything on the fake host and in the state a hook may change, as one string (the ip call log left out). */
export function fingerprint(bench: HookBench): string {
  const s = bench.host.load();
  const pfs = Object.fromEntries(Object.entries(s.pfs).map(([name, p]) => [name, {
    up: p.up, vfs: p.vfs, numVfs: bench.host.sysfs.read(`class/net/${name}/device/sriov_numvfs`),
    drivers: p.vfs.map((_, i) => driverOf(bench, p.spec.pci, i)),
  }]));
  const vfDir = join(stateDirOf(bench), 'vfs');
  const state = existsSync(vfDir)
    ? Object.fromEntries(readdirSync(vfDir).sort().map((f) => [f, readFileSync(join(vfDir, f), 'utf8')]))
    : {};
  return JSON.stringify({ pfs, state });
}

/** The driver a fake VF is bound to (a readlink: realpath costs a dozen lstat calls, and this runs 10,000 times). */
function driverOf(bench: HookBench, pfPci: string, i: number): string | null {
  try {
    return basename(readlinkSync(join(bench.host.sysRoot, 'bus/pci/devices', igbVfAddress(pfPci, i), 'driver')));
  } catch {
    return null;
  }
}

/** The fake host's state as it is now, to put back with `restore` after a case that changed it. */
export interface Baseline {
  readonly host: FakeHostState;
  readonly state: Record<string, string>;
  readonly fingerprint: string;
}

export function baseline(bench: HookBench): Baseline {
  const vfDir = join(stateDirOf(bench), 'vfs');
  const state = existsSync(vfDir) ? Object.fromEntries(readdirSync(vfDir).map((f) => [f, readFileSync(join(vfDir, f), 'utf8')])) : {};
  return { host: bench.host.load(), state, fingerprint: fingerprint(bench) };
}

export function restore(bench: HookBench, b: Baseline): void {
  for (const [name, p] of Object.entries(b.host.pfs)) {
    if (bench.host.sysfs.read(`class/net/${name}/device/sriov_numvfs`) !== String(p.vfs.length)) {
      for (let i = 0; i < p.vfs.length; i++) bench.host.bindVf(name, i, p.spec.vfDriver);
      bench.host.setNumVfs(name, 0);
      bench.host.setNumVfs(name, p.vfs.length);
    }
  }
  bench.host.save({ ...b.host, calls: [] });
  const vfDir = join(stateDirOf(bench), 'vfs');
  rmSync(vfDir, { recursive: true, force: true });
  mkdirSync(vfDir, { recursive: true, mode: 0o700 });
  for (const [f, text] of Object.entries(b.state)) writeFileSync(join(vfDir, f), text);
}

// ---- what reaches ip and sysfs ----

/** A netdev name as the kernel takes it (dev_valid_name): 1-15 characters, no '/', ':' or space, not . or .. */
export const IFNAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,15}$/;
const PCI = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const UINT = /^(0|[1-9][0-9]{0,9})$/;
const ON_OFF = /^(on|off)$/;

/** Why an `ip` argv (after `ip`) is not one virt-sriov should ever run, or null. */
export function ipArgvProblem(argv: readonly string[]): string | null {
  const a = [...argv];
  const shown = a.join(' ');
  if (a.some((w) => w === '' || /[\s'"#\\;&|`$<>(){}*?!~]/.test(w))) return `a word ip -batch or a shell would split or expand: ${JSON.stringify(argv)}`;
  if (a[0] === '-j' && a[1] === 'link' && a[2] === 'show' && a[3] === 'dev' && a.length === 5) {
    return IFNAME.test(a[4]!) ? null : `ip show of a bad device name: ${shown}`;
  }
  if (a[0] !== 'link' || a[1] !== 'set' || a[2] !== 'dev') return `not a link set/show: ${shown}`;
  if (!IFNAME.test(a[3] ?? '')) return `bad device name: ${shown}`;
  if (a.length === 5 && (a[4] === 'up' || a[4] === 'down')) return null;
  if (a[4] !== 'vf' || !UINT.test(a[5] ?? '')) return `bad vf index: ${shown}`;
  const checks: Record<string, RegExp> = {
    mac: MAC, vlan: UINT, qos: /^[0-7]$/, spoofchk: ON_OFF, trust: ON_OFF, state: /^(auto|enable|disable)$/,
    min_tx_rate: UINT, max_tx_rate: UINT, query_rss: ON_OFF,
  };
  if (a.length < 8 || a.length % 2 !== 0) return `odd vf arguments: ${shown}`;
  for (let i = 6; i < a.length; i += 2) {
    const check = checks[a[i]!];
    if (!check) return `unknown vf setting ${a[i]}: ${shown}`;
    if (!check.test(a[i + 1]!)) return `bad ${a[i]} value: ${shown}`;
  }
  if (a.includes('vlan') && Number(a[a.indexOf('vlan') + 1]) > 4094) return `VLAN out of range: ${shown}`;
  return null;
}

/** Why a sysfs path (relative to the root) is not one a hook should build, or null. */
export function sysfsPathProblem(path: string, write?: string): string | null {
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || /[\s;&|`$<>'"\\]/.test(p))) return `a path built from an unchecked name: ${JSON.stringify(path)}`;
  if (parts[0] === 'class' && parts[1] === 'net' && parts[2] !== undefined && !IFNAME.test(parts[2])) return `a bad netdev name in ${JSON.stringify(path)}`;
  if (parts[0] === 'bus' && parts[1] === 'pci' && parts[2] === 'devices' && parts[3] !== undefined && !PCI.test(parts[3])) return `a bad PCI address in ${JSON.stringify(path)}`;
  if (write !== undefined) {
    if (!/^(class\/net\/[^/]+\/device|bus\/pci\/devices\/[^/]+)\/sriov_numvfs$/.test(path)) return `a write to ${path}`;
    if (!UINT.test(write)) return `a bad value for ${path}: ${JSON.stringify(write)}`;
  }
  return null;
}

/** An ip and a sysfs around the fake host's that log every call and every value that should never get there. */
export interface Watched {
  readonly ip: IpTool;
  readonly sysfs: Sysfs;
  /** Every problem seen (empty: all clean). */
  readonly problems: string[];
  /** ip invocations (a batch counts once) and sysfs writes. */
  readonly ipCalls: string[][];
  readonly sysfsWrites: { path: string; value: string }[];
}

export function watch(host: FakeHost, inner: { ip?: IpTool; sysfs?: Sysfs } = {}): Watched {
  const ip = inner.ip ?? host.ip;
  const sysfs = inner.sysfs ?? host.sysfs;
  const problems: string[] = [];
  const ipCalls: string[][] = [];
  const sysfsWrites: { path: string; value: string }[] = [];
  const check = (p: string | null) => {
    if (p) problems.push(p);
  };
  const path = (p: string) => {
    check(sysfsPathProblem(p));
    return p;
  };
  return {
    problems, ipCalls, sysfsWrites,
    ip: {
      show: async (pf) => {
        const argv = ['-j', 'link', 'show', 'dev', pf];
        ipCalls.push(argv);
        check(ipArgvProblem(argv));
        return ip.show(pf);
      },
      showAll: async (pfs) => {
        ipCalls.push(['-j', '-batch', '-', ...pfs.map((pf) => `link show dev ${pf}`)]);
        for (const pf of pfs) check(ipArgvProblem(['-j', 'link', 'show', 'dev', pf]));
        return ip.showAll(pfs);
      },
      batch: async (commands) => {
        ipCalls.push(['-batch', '-', ...commands.map((c) => c.join(' '))]);
        for (const c of commands) check(ipArgvProblem(c));
        return ip.batch(commands);
      },
    },
    sysfs: {
      root: sysfs.root,
      read: (p) => sysfs.read(path(p)),
      linkName: (p) => sysfs.linkName(path(p)),
      list: (p) => sysfs.list(path(p)),
      exists: (p) => sysfs.exists(path(p)),
      write: (p, v) => {
        check(sysfsPathProblem(p, v));
        sysfsWrites.push({ path: p, value: v });
        sysfs.write(p, v);
      },
    },
  };
}

/** runHook in process as the installed hook runs it, against `bench`'s fake host seen through `watched`. */
export function runWatched(bench: HookBench, watched: Watched, hook: HookName, argv: readonly string[], stdin: string): Promise<HookResult> {
  return runHook(
    { hook, argv, readStdin: async () => stdin, configPath: bench.configPath, loadOperations: () => import('../../src/hooks/operations.js') },
    { sysfs: watched.sysfs, ip: watched.ip, hostdevNetworks: () => new Set(['sriov']), definedDomains: () => bench.domains },
  );
}

/** The operations libvirt sends that must never fail (a failure kills a guest or helps no one). */
export const NEVER_FAIL: Record<HookName, readonly string[]> = {
  qemu: ['stopped', 'release', 'reconnect'],
  network: ['port-deleted', 'stopped', 'started', 'updated', 'plugged', 'unplugged'],
  daemon: ['start', 'shutdown', 'reload'],
};
export const MAY_FAIL: Record<HookName, readonly string[]> = {
  qemu: ['prepare', 'start', 'migrate', 'restore'],
  network: ['start', 'port-created'],
  daemon: [],
};

/** Whether an op may make its hook exit non-zero (only ops virt-sriov handles and libvirt lets stop something). */
export function mayFail(hook: HookName, op: string | undefined): boolean {
  return op !== undefined && MAY_FAIL[hook].includes(op);
}

/**
 * The contract of every hook call, whatever the input: exit 0, or (only where the op may fail)
 * 1 with one clear `virt-sriov: ...` message and never an internal error. Returns what is wrong.
 */
export function contractProblem(hook: HookName, op: string | undefined, r: HookResult): string | null {
  if (r.exitCode !== 0 && r.exitCode !== 1) return `exit code ${String(r.exitCode)}`;
  if (r.exitCode === 1 && !mayFail(hook, op)) return `${hook} ${String(op)} exited 1 (it must never fail): ${r.stderr}`;
  if (r.exitCode === 1 && !/^virt-sriov: \S.*\n/s.test(r.stderr)) return `no clear message: ${JSON.stringify(r.stderr)}`;
  if (r.stderr !== '' && !/^virt-sriov: \S.*\n$/s.test(r.stderr)) return `an unclear message: ${JSON.stringify(r.stderr)}`;
  if (/internal error/.test(r.stderr)) return `an internal error: ${r.stderr}`;
  return null;
}

/** Throw what failed, with the seed and path that replay it, the counterexample cut to a readable size. */
export function throwIfFailed(details: { failed: boolean; seed: number; counterexamplePath: string | null; counterexample: unknown; errorInstance: unknown; numRuns: number }): void {
  if (!details.failed) return;
  const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const example = JSON.stringify(details.counterexample) ?? '';
  mkdirSync(SUMMARY_DIR, { recursive: true });
  const file = join(SUMMARY_DIR, `counterexample-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, example);
  throw new Error(`(whole counterexample in ${file}) `
    + `property failed after ${details.numRuns} cases (replay: HARDENING_SEED=${details.seed}, path ${details.counterexamplePath}):\n${why.slice(0, 3000)}\ncounterexample: ${example.slice(0, 2000)}${example.length > 2000 ? '…' : ''}`);
}

// ---- faults ----

export interface FaultPlan {
  /** Fail these `link set ... vf` commands (1-based, counted across every batch of the call). */
  readonly vfCommands?: readonly number[];
  /** Fail these ip invocations as a whole (1-based: each show and each batch is one). */
  readonly invocations?: readonly number[];
}

/**
 * An ip that fails where it is told, as the real one does: a batch runs its lines up to the one
 * that fails and stops there with "Command failed -:N"; a whole invocation fails before doing anything.
 */
export function faultyIp(inner: IpTool, plan: FaultPlan): IpTool & { readonly vfCommandsSeen: number; readonly invocationsSeen: number; readonly injected: number } {
  let vfSeen = 0;
  let calls = 0;
  let injected = 0;
  const failCall = (what: string) => {
    calls++;
    if (plan.invocations?.includes(calls)) {
      injected++;
      throw new OperationError(`ip ${what} failed: Cannot send netlink request: Resource temporarily unavailable (injected)`);
    }
  };
  return {
    get vfCommandsSeen() { return vfSeen; },
    get invocationsSeen() { return calls; },
    get injected() { return injected; },
    async show(pf) {
      failCall(`-j link show dev ${pf}`);
      return inner.show(pf);
    },
    async showAll(pfs) {
      failCall(pfs.length === 1 ? `-j link show dev ${pfs[0]}` : '-j -batch -');
      return inner.showAll(pfs);
    },
    async batch(commands) {
      failCall('-batch -');
      for (const [i, c] of commands.entries()) {
        if (c[4] !== 'vf') continue;
        vfSeen++;
        if (plan.vfCommands?.includes(vfSeen)) {
          injected++;
          if (i > 0) await inner.batch(commands.slice(0, i));
          throw new OperationError(`ip -batch - failed: RTNETLINK answers: Input/output error (injected); Command failed -:${i + 1}`);
        }
      }
      return inner.batch(commands);
    },
  };
}
