import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * Write a state file whole or not at all (write, then rename), readable by root only. No fsync:
 * rename alone is atomic for a process that is killed, which is what the state must survive. A
 * host crash takes every VF with it (they come back fresh at boot, and the default state dir,
 * /run, is gone too), and a file damaged by one is set aside unread.
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + '\n');
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
