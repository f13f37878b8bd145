/**
 * The locks virt-sriov takes, held by the kernel: flock(2) on a file in the state dir. The
 * kernel drops a flock the moment its holder exits, however it exits: a hook killed while
 * holding it costs the next one nothing, where a lock file must wait out a stale timeout
 * (proper-lockfile's, 10 s).
 *
 * node cannot call flock(2) itself without a native module (koffi costs a hook 12-60 ms to load),
 * so util-linux's `flock(1)` (Essential on Debian) takes it on a file we opened and hand it as fd
 * 3, the shell's `exec 3>file; flock 3`: the lock belongs to the open file, so it stays ours after
 * flock exits, until we close the file (or die). One child process, about a spawn's cost.
 * node opens files close-on-exec, so no `ip` we run afterwards inherits the lock.
 *
 * An abstract-namespace socket would cost no child, but node 18 (Debian 12's, our floor) binds
 * every abstract name as the same name, so every lock of every state dir was one lock and a pool
 * lock waiting on the vfs lock waited on itself; and a lock must be one mechanism on a host,
 * whichever node runs a hook or the CLI.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OperationError } from '../errors.js';

/**
 * `vfs`: every change to a PF's VFs, by hooks and CLI alike: a claim, a release, a write of
 * sriov_numvfs. Never held across a call to libvirt (libvirt may be waiting on a hook for it).
 * `pool`: the CLI's picks of a free VF and its domain edits (`attach`, `detach`, `vfs --count`).
 * `watch`: held by `virt-sriov watch` for as long as it runs: one watcher per state dir, and how
 * `doctor` knows that one runs (src/watch/running.ts).
 */
export type LockName = 'vfs' | 'pool' | 'watch';

/** The file a lock is taken on: one per lock and state dir. */
export function lockFile(stateDir: string, lock: LockName): string {
  return join(resolve(stateDir), `.${lock}.lock`);
}

/** flock(1)'s exit code when the lock stays held past the wait (--conflict-exit-code). */
const HELD = 75;

/** Takes `lock`, waiting at most `timeoutMs` (0: not at all); resolves to its release. Held past the wait: throws, or null when `orNull`. */
async function take(stateDir: string, lock: LockName, timeoutMs: number, orNull = false): Promise<(() => void) | null> {
  const file = lockFile(stateDir, lock);
  const failed = (why: string) => new OperationError(`could not take virt-sriov's ${lock} lock (${file}): ${why}`,
    'check that util-linux (flock) is installed and that this process may write the state dir');
  let fd: number;
  try {
    mkdirSync(resolve(stateDir), { recursive: true });
    fd = openSync(file, 'a', 0o600);
  } catch (e) {
    throw failed((e as Error).message);
  }
  const wait = timeoutMs > 0 ? ['--timeout', String(timeoutMs / 1000)] : ['--nonblock'];
  const outcome = await new Promise<{ code: number | null; why: string }>((done) => {
    let why = '';
    const flock = spawn('flock', ['--exclusive', '--conflict-exit-code', String(HELD), ...wait, '3'],
      { stdio: ['ignore', 'ignore', 'pipe', fd] });
    flock.stderr!.on('data', (d: Buffer) => (why += d.toString()));
    flock.once('error', (e) => done({ code: null, why: e.message }));
    flock.once('close', (code) => done({ code, why }));
  });
  if (outcome.code === 0) return () => closeSync(fd);
  closeSync(fd);
  if (outcome.code === HELD) {
    if (orNull) return null;
    throw new OperationError(`virt-sriov's ${lock} lock (${file}) was held by another process for ${timeoutMs / 1000} s`,
      `another virt-sriov hook or command is stuck: \`fuser -v ${file}\` or \`ps -ef | grep virt-sriov\` finds it; end it (the lock goes with it)`);
  }
  throw failed(outcome.why.trim() || `flock exited with ${outcome.code}`);
}

/**
 * Run `f` holding `lock`; waits its turn (64 guests starting at once queue up), for at most
 * `timeoutMs`: a holder that long is stuck, and ps shows it.
 */
export async function withLock<T>(stateDir: string, lock: LockName, f: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const release = (await take(stateDir, lock, timeoutMs))!;
  try {
    return await f();
  } finally {
    release();
  }
}

/** Take `lock` if no one holds it, and keep it until the returned release is called (or the process ends); null when another process holds it. */
export async function tryLock(stateDir: string, lock: LockName): Promise<(() => void) | null> {
  return take(stateDir, lock, 0, true);
}
