/**
 * Whether `virt-sriov watch` runs: its lock in the state dir, as the kernel lists it in
 * /proc/locks (what doctor reads), and its pid file beside it.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heldOn, holdWatch, parseProcLocks, readWatchPid, watchLockFile, watchPidFile } from '../../../src/watch/running.js';

let dir: string;
const releases: (() => void)[] = [];
afterEach(() => {
  for (const r of releases.splice(0)) r();
  rmSync(dir, { recursive: true, force: true });
});

const kernelSays = () => heldOn(parseProcLocks(readFileSync('/proc/locks', 'utf8')), statSync(watchLockFile(dir)));

describe('the watcher\'s lock', () => {
  test('held while it runs, as the kernel lists it; its pid beside it; a second watcher gets nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-watch-lock-'));
    const release = await holdWatch(dir, 4242);
    expect(release).not.toBeNull();
    releases.push(release!);
    expect(readWatchPid(dir)).toBe(4242);
    expect(kernelSays()).toBe(true);
    expect(await holdWatch(dir, 4343)).toBeNull();
    expect(readWatchPid(dir)).toBe(4242);
  });

  test('released: the pid file gone, the lock free for the next watcher', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-watch-lock-'));
    (await holdWatch(dir, 4242))!();
    expect(existsSync(watchPidFile(dir))).toBe(false);
    expect(readWatchPid(dir)).toBeNull();
    expect(kernelSays()).toBe(false);
    const again = await holdWatch(dir, 4343);
    releases.push(again!);
    expect(readWatchPid(dir)).toBe(4343);
  });
});

describe('/proc/locks', () => {
  test('flock locks held, by device (hex) and inode; POSIX locks and waiters are not the watcher\'s', () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-watch-lock-'));
    const text = '1: FLOCK  ADVISORY  WRITE 23498 00:1a:147465 0 EOF\n'
      + '2: POSIX  ADVISORY  WRITE 812 fe:00:5 0 EOF\n'
      + '2: -> FLOCK  ADVISORY  WRITE 900 00:1a:147466 0 EOF\n'
      + '3: FLOCK  ADVISORY  WRITE -1 103:02:2167112 0 EOF\n';
    expect(parseProcLocks(text)).toEqual([{ major: 0, minor: 0x1a, inode: 147465 }, { major: 0x103, minor: 2, inode: 2167112 }]);
    const locks = parseProcLocks(text);
    expect(heldOn(locks, { dev: 0x1a, ino: 147465 })).toBe(true);
    expect(heldOn(locks, { dev: 0x1a, ino: 147466 })).toBe(false);
    // the same inode on another device
    expect(heldOn(locks, { dev: 0xfe00, ino: 147465 })).toBe(false);
    expect(heldOn(locks, { dev: (0x103 << 8) | 2, ino: 2167112 })).toBe(true);
  });
});
