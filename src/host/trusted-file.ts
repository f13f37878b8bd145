/**
 * Files root acts on (the config names the `ip` to run; a hook, a code cache are code) must be
 * writable by root or the user running them only: anyone else who can write one can run
 * commands as them. One rule for every such file.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

/** Who besides root and the caller could change a file: by its mode (its group, others), or as its owner. */
export function otherWriters(stat: { mode: number; uid: number }): { byMode: string[]; owner: number | null } {
  const byMode = [stat.mode & 0o020 ? 'its group' : '', stat.mode & 0o002 ? 'others' : ''].filter(Boolean);
  const me = process.getuid?.();
  return { byMode, owner: me !== undefined && stat.uid !== 0 && stat.uid !== me ? stat.uid : null };
}

/** A regular file's bytes if no one else can change it; undefined when it can't be trusted or read. */
export function readTrustedFile(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    // mode and bytes from one open file: what is judged is what is read
    const stat = fstatSync(fd);
    const others = otherWriters(stat);
    return stat.isFile() && others.byMode.length === 0 && others.owner === null ? readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
