/**
 * One lock per fake host, for fakes that run as separate processes. A real kernel applies each
 * netlink request and each sriov_numvfs write atomically; the fake host keeps its state in one
 * JSON file that every `ip` call reads and rewrites, so two hooks running at once (or a hook's
 * `ip` and the fake kernel) would lose each other's updates without it.
 *
 * A file created with O_EXCL holds the holder's pid; a holder that died is detected and its lock
 * broken. Synchronous on purpose: the fake `ip` and the fake kernel are short synchronous steps.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = 'fake-host.lock';
const pause = new Int32Array(new SharedArrayBuffer(4));

function holderIsGone(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid > 0) {
      try {
        process.kill(pid, 0);
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code !== 'EPERM';
      }
    }
    // created but its pid not written yet, or a holder that died right then
    return Date.now() - statSync(file).mtimeMs > 2_000;
  } catch {
    return false; // released meanwhile: just try again
  }
}

/** Runs `f` holding the fake host's lock. Throws if the lock can't be had within `timeoutMs`. */
export function withFakeHostLock<T>(root: string, f: () => T, timeoutMs = 10_000): T {
  const file = join(root, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (holderIsGone(file)) rmSync(file, { force: true });
      else if (Date.now() > deadline) throw new Error(`fake host ${root}: lock held by ${readFileSync(file, 'utf8').trim()} for ${timeoutMs} ms`);
      else Atomics.wait(pause, 0, 0, 2);
    }
  }
  try {
    return f();
  } finally {
    rmSync(file, { force: true });
  }
}
