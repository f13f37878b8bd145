import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockAddress, withLock } from '../../../src/state/host-lock.js';

let dir: string;
let holder: ChildProcess | undefined;
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Another process that takes the lock as virt-sriov does (binds its address) and keeps it. */
function holdInAnotherProcess(address: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen({ path: ${JSON.stringify(address)}, exclusive: true }, () => console.log('held'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    await new Promise((r) => setTimeout(r, 20));
    const second = withLock(dir, 'vfs', async () => void order.push('second in'));
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(['first in']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  test('the vfs and pool locks, and the locks of two state dirs, are apart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    const inner = await withLock(dir, 'pool', () => withLock(dir, 'vfs', () => withLock(join(dir, 'other'), 'vfs', async () => 'all three', 0), 0), 0);
    expect(inner).toBe('all three');
    expect(lockAddress(dir, 'vfs')).not.toBe(lockAddress(dir, 'pool'));
    expect(Buffer.byteLength(lockAddress(`/${'x'.repeat(300)}`, 'vfs'))).toBeLessThanOrEqual(107);
  });

  test('held by a live process: refused after the wait, saying how to find the holder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    holder = await holdInAnotherProcess(lockAddress(dir, 'vfs'));
    await expect(withLock(dir, 'vfs', async () => 'got it', 200)).rejects.toThrow(/vfs lock .* was held by another process for 0.2 s/);
  });

  test('a holder killed with SIGKILL takes the lock with it: the next one gets it at the first try', async () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-lock-'));
    holder = await holdInAnotherProcess(lockAddress(dir, 'vfs'));
    const gone = new Promise((r) => holder!.once('exit', r));
    holder.kill('SIGKILL');
    await gone;
    // no wait at all (timeout 0): nothing stale to wait out
    await expect(withLock(dir, 'vfs', async () => 'got it', 0)).resolves.toBe('got it');
  });
});
