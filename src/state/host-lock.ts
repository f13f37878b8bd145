/**
 * The locks virt-sriov takes, held by the kernel: a lock is a Unix socket bound in Linux's
 * abstract namespace under a name derived from the state dir. Binding a name that is bound
 * fails (EADDRINUSE), so one process at a time holds it; the kernel frees the name the moment
 * its process exits, however it exits. A hook killed while holding it costs the next one
 * nothing, where a lock file must wait out a stale timeout (proper-lockfile's, 10 s).
 * flock(2) would do the same, but node can call it only through a native module: koffi costs a
 * hook 12-60 ms to load, a socket about 2 ms (net is loaded for child processes anyway). The
 * namespace is the network namespace's: every hook and the CLI of a host share it (a CLI run
 * inside another network namespace, a container, would not).
 */
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { OperationError } from '../errors.js';

/**
 * `vfs`: every change to a PF's VFs, by hooks and CLI alike: a claim, a release, a write of
 * sriov_numvfs. Never held across a call to libvirt (libvirt may be waiting on a hook for it).
 * `pool`: the CLI's picks of a free VF and its domain edits (`attach`, `detach`, `vfs --count`).
 */
export type LockName = 'vfs' | 'pool';

/** The abstract socket name (at most 107 bytes): the state dir itself, or a digest of a long one. */
export function lockAddress(stateDir: string, lock: LockName): string {
  const dir = resolve(stateDir);
  const key = Buffer.byteLength(dir) <= 80 ? dir : `${fnv1a(dir)}:${dir.slice(-60)}`;
  return `\0virt-sriov:${lock}:${key}`;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16);
}

function bind(address: string): Promise<(() => Promise<void>) | null> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? done(null) : fail(e)));
    server.listen({ path: address, exclusive: true }, () => {
      server.unref(); // a lock held is no reason for node to keep running
      done(() => new Promise((closed) => server.close(() => closed())));
    });
  });
}

/**
 * Run `f` holding `lock`; waits its turn (64 guests starting at once queue up), for at most
 * `timeoutMs`: a holder that long is stuck, and ps shows it.
 */
export async function withLock<T>(stateDir: string, lock: LockName, f: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const address = lockAddress(stateDir, lock);
  const deadline = Date.now() + timeoutMs;
  let release: (() => Promise<void>) | null = null;
  for (let wait = 2; ; wait = Math.min(wait * 1.5, 50)) {
    try {
      release = await bind(address);
    } catch (e) {
      throw new OperationError(`could not take virt-sriov's ${lock} lock (${stateDir}): ${(e as Error).message}`, 'check that this process may create Unix sockets');
    }
    if (release) break;
    if (Date.now() > deadline) {
      throw new OperationError(`virt-sriov's ${lock} lock (${stateDir}) was held by another process for ${timeoutMs / 1000} s`,
        'another virt-sriov hook or command is stuck: find it with `ps -ef | grep virt-sriov` and end it (the lock goes with it)');
    }
    await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
  }
  try {
    return await f();
  } finally {
    await release().catch(() => undefined);
  }
}
