/**
 * The kernel's sysfs, behind a narrow interface rooted at a directory, so tests (and a real
 * libvirtd pointed at a fake host) use a tree built in a temp dir. Paths are relative to the
 * root: `class/net/eth0/device/sriov_numvfs`.
 */
import { readFileSync, readdirSync, readlinkSync, realpathSync, writeFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';

export interface Sysfs {
  readonly root: string;
  /** File contents, trimmed, or null when it does not exist. */
  read(path: string): string | null;
  /** The last part of a symlink's target (a PCI address, a driver name), or null. */
  linkName(path: string): string | null;
  /** Directory entries, or [] when it does not exist. */
  list(path: string): string[];
  exists(path: string): boolean;
  write(path: string, value: string): void;
}

export function sysfsAt(root = '/sys'): Sysfs {
  // concatenated, not path.join: thousands of paths per status, all relative and already plain
  const base = root.endsWith('/') ? root : `${root}/`;
  const at = (p: string) => base + p;
  return {
    root,
    read(p) {
      try {
        return readFileSync(at(p), 'utf8').trim();
      } catch {
        return null;
      }
    },
    linkName(p) {
      let target: string;
      try {
        target = readlinkSync(at(p));
      } catch {
        return null;
      }
      // The kernel's links end in what they name (../../../0000:01:00.0), so one readlink does;
      // realpath would lstat every component, ~100 ms over a 1024-VF host. A link ending in ..
      // (a hand-made tree's net/X/device) is resolved the long way.
      const name = basename(target);
      if (name !== '..' && name !== '.' && name !== '') return name;
      try {
        return basename(realpathSync(at(p)));
      } catch {
        return null;
      }
    },
    list(p) {
      try {
        return readdirSync(at(p));
      } catch {
        return [];
      }
    },
    exists: (p) => existsSync(at(p)),
    write: (p, value) => writeFileSync(at(p), value),
  };
}
