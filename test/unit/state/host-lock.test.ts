import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockFile, withLock } from '../../../src/state/host-lock.js';

let dir: string;
let holder: ChildProcess | undefined;
afterEach(() => {
  killAll(holder);
  holder = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Kills a holder and what it runs (its process group). */
function killAll(child: ChildProcess | undefined): void {
  try {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  } catch { /* gone already */ }
}

/** Another process that takes the lock as virt-sriov does (flock on its file) and keeps it. */
function holdInAnotherProcess(file: string): Promise<ChildProcess> {
  const child = spawn('flock', ['--exclusive', '--close', file, 'sh', '-c', 'echo held; exec sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  return new Promise((done) => child.stdout!.once('data', () => done(child)));
}

describe('the locks, held by the kernel', () => {
  test('one holder at a time: the second waits for the first to finish', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = withLock(dir, 'vfs', () => new Promise<void>((r) => {
      order.push('first in');
      releaseFirst = () => (order.push('first out'), r());
    }));
    while (!order.length) await new Promise((r) => setTimeout(r, 5));
    const second = withLock(dir, 'vfs', async () => void order.push('second in'));
    await new Promise((r) => setTimeout(r, 150));
    expect(order).toEqual(['first in']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  test('the vfs and pool locks, and the locks of two state dirs, are apart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    const inner = await withLock(dir, 'pool', () => withLock(dir, 'vfs', () => withLock(join(dir, 'other'), 'vfs', async () => 'all three', 0), 0), 0);
    expect(inner).toBe('all three');
  });

  test('held by a live process: refused after the wait, saying how to find the holder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    holder = await holdInAnotherProcess(lockFile(dir, 'vfs'));
    await expect(withLock(dir, 'vfs', async () => 'got it', 200)).rejects.toThrow(/vfs lock .* was held by another process for 0.2 s/);
  });

  test('a holder killed with SIGKILL takes the lock with it: the next one gets it at the first try', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    holder = await holdInAnotherProcess(lockFile(dir, 'vfs'));
    const gone = new Promise((r) => holder!.once('exit', r));
    killAll(holder);
    await gone;
    // no wait at all (--nonblock): nothing stale to wait out
    await expect(withLock(dir, 'vfs', async () => 'got it', 0)).resolves.toBe('got it');
  });

  test('a hook killed while holding the lock frees it: its open file closes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    // a hook's node, holding the lock as withLock does (flock(1) on a file node opened), then killed
    const child = spawn(process.execPath, ['-e', `
      const fd = require('node:fs').openSync(${JSON.stringify(lockFile(dir, 'vfs'))}, 'a');
      require('node:child_process').spawn('flock', ['--exclusive', '3'], { stdio: ['ignore', 'ignore', 'inherit', fd] })
        .once('close', () => { console.log('held'); setInterval(() => {}, 1000); });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    holder = child;
    await new Promise((r) => child.stdout!.once('data', r));
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    await expect(withLock(dir, 'vfs', async () => 'got it', 2_000)).resolves.toBe('got it');
  });

  test('a process the holder starts does not inherit the lock: released means released, even while it runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    await withLock(dir, 'vfs', async () => {
      holder = spawn('sleep', ['60'], { stdio: 'ignore', detached: true }); // an `ip` that outlives the hook, say
    });
    await expect(withLock(dir, 'vfs', async () => 'got it', 0)).resolves.toBe('got it');
  });
});
