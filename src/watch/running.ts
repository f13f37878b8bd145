/**
 * Whether `virt-sriov watch` runs, told the same way with systemd or without: for as long as it
 * runs, the watcher holds the `watch` lock in the state dir (state/host-lock.ts; the kernel drops
 * it however the watcher ends) and its pid is in `watch.pid` beside it. A second watcher finds
 * the lock held and stops. `doctor` looks in the kernel's list of held locks (/proc/locks), so
 * looking takes no lock and races with no watcher starting.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lockFile, tryLock } from '../state/host-lock.js';

export function watchPidFile(stateDir: string): string {
  return join(resolve(stateDir), 'watch.pid');
}

export function watchLockFile(stateDir: string): string {
  return lockFile(stateDir, 'watch');
}

/**
 * Take the watcher's lock and write `pid` beside it; resolves to the release (the pid file
 * removed, then the lock let go), or null when another watcher holds the lock.
 */
export async function holdWatch(stateDir: string, pid: number): Promise<(() => void) | null> {
  const release = await tryLock(stateDir, 'watch');
  if (!release) return null;
  try {
    writeFileSync(watchPidFile(stateDir), `${pid}\n`, { mode: 0o644 });
  } catch (e) {
    release();
    throw e;
  }
  return () => {
    try {
      rmSync(watchPidFile(stateDir), { force: true });
    } finally {
      release();
    }
  };
}

/** The pid in the watcher's pid file; null when there is none (or it holds no pid). */
export function readWatchPid(stateDir: string): number | null {
  try {
    const pid = Number(readFileSync(watchPidFile(stateDir), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** A flock(2) lock the kernel lists in /proc/locks: on which file (device and inode). */
export interface HeldLock {
  readonly major: number;
  readonly minor: number;
  readonly inode: number;
}

// "1: FLOCK  ADVISORY  WRITE 23498 00:1a:147465 0 EOF"; a waiter is "1: -> FLOCK ...", not held
const LOCK_LINE = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+-?\d+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/;

/** The flock(2) locks held now, from the text of /proc/locks (POSIX locks and waiters left out). */
export function parseProcLocks(text: string): HeldLock[] {
  return text.split('\n').flatMap((line) => {
    const m = LOCK_LINE.exec(line);
    return m ? [{ major: parseInt(m[1]!, 16), minor: parseInt(m[2]!, 16), inode: Number(m[3]) }] : [];
  });
}

/** Whether one of `locks` is on the file `stat` describes (node's st_dev, glibc's encoding). */
export function heldOn(locks: readonly HeldLock[], stat: { readonly dev: number; readonly ino: number }): boolean {
  const major = ((stat.dev >> 8) & 0xfff) | (Math.floor(stat.dev / 2 ** 32) & ~0xfff);
  const minor = (stat.dev & 0xff) | ((stat.dev >> 12) & 0xfff00);
  return locks.some((l) => l.inode === stat.ino && l.major === major && l.minor === minor);
}

/** Whether a watcher runs for a state dir, as doctor and status tell it. */
export interface WatcherState {
  readonly running: boolean;
  /** The pid its pid file names (a watcher that ended without removing it leaves one). */
  readonly pid: number | null;
  readonly lockFile: string;
}

/**
 * The watcher's lock is held (the kernel's /proc/locks), or, where the kernel doesn't list that
 * lock to this pid namespace (a container: the lock's taker, flock(1), is gone and can't be named
 * there), its pid file's process runs `watch`.
 */
export function watcherState(stateDir: string, procRoot = '/proc'): WatcherState {
  const lockFile = watchLockFile(stateDir);
  const pid = readWatchPid(stateDir);
  const text = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  let running = false;
  try {
    running = heldOn(parseProcLocks(text(join(procRoot, 'locks'))), statSync(lockFile));
  } catch {
    // no lock file: no watcher ever ran with this state dir
  }
  if (!running && pid) running = text(join(procRoot, String(pid), 'cmdline')).split('\0').includes('watch');
  return { running, pid, lockFile };
}
