/**
 * A fake SR-IOV host for hooks that run as separate processes (spawned by a real libvirtd, or
 * by a test): the `ip` they run (fake-ip-locked-cli.ts) and a fake kernel that reacts to their
 * sriov_numvfs writes (fake-kernel-cli.ts), each bundled into one file with esbuild so plain
 * `node FILE` runs it anywhere, inside a private libvirtd's namespace included (/tmp is shared).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { FakeHost } from './fake-host.js';
import { readDmesg, type KernelEvent } from './fake-kernel.js';

export interface FakeHostBundles {
  readonly dir: string;
  /** `node ip FAKE_ROOT ARGS...` */
  readonly ip: string;
  /** `node kernel FAKE_ROOT [INTERVAL_MS] [MAX_SECONDS]` */
  readonly kernel: string;
  /** The config's `ipCommand` for `host`. */
  ipCommand(host: FakeHost): string[];
  remove(): void;
}

export async function bundleFakeHostProcesses(): Promise<FakeHostBundles> {
  const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-fake-procs-'));
  const src = (f: string) => new URL(f, import.meta.url).pathname;
  await build({
    entryPoints: { ip: src('./fake-ip-locked-cli.ts'), kernel: src('./fake-kernel-cli.ts') },
    outdir: dir, outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm', target: 'node18', logLevel: 'error',
  });
  const ip = join(dir, 'ip.mjs');
  return {
    dir, ip, kernel: join(dir, 'kernel.mjs'),
    ipCommand: (host) => [process.execPath, ip, host.root],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * An `ip` for `virt-sriov watch` on a fake host: the fake's for everything, and for `ip -o monitor
 * link` one that waits quietly, as a real one does while no link changes (the fake has no
 * monitor: the watcher would start it again every second and look at every guest each time).
 * `before`: lines of bash run first, with the fake's argv in $real (a test's own faults).
 */
export function watcherIp(bundles: FakeHostBundles, host: FakeHost, dir: string, before = ''): string[] {
  const file = join(dir, 'watcher-ip.sh');
  const real = bundles.ipCommand(host).map((a) => `'${a}'`).join(' ');
  // the monitor ends with the watcher, however it ends (a SIGKILLed one leaves no sleeper behind)
  const monitor = '[ "$2" = monitor ] && { while kill -0 $PPID 2>/dev/null; do sleep 0.5; done; exit 0; }';
  writeFileSync(file, `#!/bin/bash\nreal=(${real})\n${monitor}\n${before}\nexec "\${real[@]}" "$@"\n`, { mode: 0o755 });
  return ['bash', file];
}

export interface FakeKernel {
  readonly pid: number;
  /** What it applied or refused so far. */
  events(): KernelEvent[];
  /** `echo N > /sys/class/net/PF/device/sriov_numvfs`, as an admin would; resolves once applied. */
  setNumVfs(pf: string, n: number): Promise<void>;
  /** Its stderr so far (for failure messages). */
  output(): string;
  /** Ends it; idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeKernel(bundles: FakeHostBundles, host: FakeHost, { intervalMs = 10, maxSeconds = 300 } = {}): Promise<FakeKernel> {
  const child = spawn(process.execPath, [bundles.kernel, host.root, String(intervalMs), String(maxSeconds)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  let exited = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  // never what keeps jest running: closing our end of its stdin (or our exit) ends it
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();

  const stop = async () => {
    if (exited) return;
    child.stdin.end();
    const t = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exit;
    clearTimeout(t);
  };
  const deadline = Date.now() + 10_000;
  while (!stdout.includes('ready')) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`fake kernel did not start: ${stderr}`);
    }
    await sleep(10);
  }

  return {
    pid: child.pid!,
    events: () => readDmesg(host.root),
    output: () => stderr,
    stop,
    async setNumVfs(pf, n) {
      const seen = readDmesg(host.root).length;
      writeFileSync(join(host.sysRoot, 'class/net', pf, 'device/sriov_numvfs'), `${n}\n`);
      const until = Date.now() + 5_000;
      for (;;) {
        const refused = readDmesg(host.root).slice(seen).find((e) => e.pf === pf && e.result === 'refused');
        if (refused) throw new Error(`fake kernel refused ${n} VFs on ${pf}: ${refused.why}`);
        if (host.load().pfs[pf]?.vfs.length === n) return;
        if (exited || Date.now() > until) throw new Error(`fake kernel did not apply ${n} VFs on ${pf}${exited ? ' (it exited)' : ''}: ${stderr}`);
        await sleep(10);
      }
    },
  };
}
