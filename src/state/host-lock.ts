/**
 * The locks virt-sriov takes, held by the kernel: flock(2) on a file in the state dir, taken by
 * util-linux's `flock(1)` (Essential on Debian, so on every host). The kernel drops a flock the
 * moment its holder exits, however it exits: a hook killed while holding it costs the next one
 * nothing, where a lock file must wait out a stale timeout (proper-lockfile's, 10 s).
 *
 * node cannot call flock(2) itself without a native module (koffi costs a hook 12-60 ms to
 * load); a child process costs a few ms. `flock FILE cat` holds the lock and runs cat, which
 * echoes our line once the lock is ours; closing cat's stdin (by us, or by the kernel when we
 * die) ends cat, then flock, then the lock.
 *
 * An abstract-namespace socket would cost less, but node 18 (Debian 12's, our floor) binds every
 * abstract name as the empty name, so every lock of every state dir was one lock and a pool lock
 * waiting on the vfs lock waited on itself.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OperationError } from '../errors.js';

/**
 * `vfs`: every change to a PF's VFs, by hooks and CLI alike: a claim, a release, a write of
 * sriov_numvfs. Never held across a call to libvirt (libvirt may be waiting on a hook for it).
 * `pool`: the CLI's picks of a free VF and its domain edits (`attach`, `detach`, `vfs --count`).
 */
export type LockName = 'vfs' | 'pool';

/** The file a lock is taken on: one per lock and state dir. */
export function lockFile(stateDir: string, lock: LockName): string {
  return join(resolve(stateDir), `.${lock}.lock`);
}

/** flock(1)'s exit code when the lock stays held past the wait (--conflict-exit-code). */
const HELD = 75;

/** Takes `lock`, waiting at most `timeoutMs`; resolves to its release. */
function take(stateDir: string, lock: LockName, timeoutMs: number): Promise<() => Promise<void>> {
  const file = lockFile(stateDir, lock);
  const failed = (why: string) => new OperationError(`could not take virt-sriov's ${lock} lock (${file}): ${why}`,
    'check that util-linux (flock) is installed and that this process may write the state dir');
  try {
    mkdirSync(resolve(stateDir), { recursive: true });
  } catch (e) {
    return Promise.reject(failed((e as Error).message));
  }
  const wait = timeoutMs > 0 ? ['--timeout', String(timeoutMs / 1000)] : ['--nonblock'];
  const holder = spawn('flock', ['--exclusive', '--close', '--conflict-exit-code', String(HELD), ...wait, file, 'cat'],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((done, fail) => {
    let stderr = '';
    let held = false;
    const exited = new Promise<void>((r) => holder.once('close', () => r()));
    const refs = (how: 'ref' | 'unref') => {
      holder[how]();
      for (const s of [holder.stdin, holder.stdout, holder.stderr]) (s as unknown as Record<string, (() => void) | undefined>)[how]?.();
    };
    holder.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    holder.once('error', (e) => fail(failed(e.message)));
    holder.stdout!.once('data', () => {
      held = true;
      // a held lock is no reason for node to keep running; the kernel frees it when we exit
      refs('unref');
      done(async () => {
        refs('ref'); // keep node up until flock is gone, so nothing after us sees it still held
        holder.stdin!.end();
        await exited;
      });
    });
    holder.once('close', (code) => {
      if (held) return;
      if (code === HELD) {
        fail(new OperationError(`virt-sriov's ${lock} lock (${file}) was held by another process for ${timeoutMs / 1000} s`,
          'another virt-sriov hook or command is stuck: find it with `ps -ef | grep virt-sriov` and end it (the lock goes with it)'));
      } else fail(failed(stderr.trim() || `flock exited with ${code}`));
    });
    holder.stdin!.write('held\n');
  });
}

/**
 * Run `f` holding `lock`; waits its turn (64 guests starting at once queue up), for at most
 * `timeoutMs`: a holder that long is stuck, and ps shows it.
 */
export async function withLock<T>(stateDir: string, lock: LockName, f: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const release = await take(stateDir, lock, timeoutMs);
  try {
    return await f();
  } finally {
    await release().catch(() => undefined);
  }
}
