/**
 * What a binary's --version said, remembered against the file it came from, as libvirt keys
 * its own QEMU capabilities cache by the binary's ctime: running libvirtd and QEMU was most of
 * a convert without versions given, and they change only when a package does.
 */
import { mkdirSync, renameSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { readTrustedFile } from '../host/trusted-file.js';
import { formatVersion, parseVersion, type Version } from './version.js';

interface Entry {
  readonly identity: string;
  readonly version: string;
}

export interface VersionCache {
  get(path: string, file: Stats): Version | undefined;
  set(path: string, file: Stats, version: Version): void;
  /** Written only when something was added, atomically; a failure to write is no error. */
  save(): void;
}

const FILE = 'versions.json';

/** Same path, same file: a package upgrade writes a new file (new inode, ctime, mtime). */
function identityOf(file: Stats): string {
  return [file.dev, file.ino, file.size, file.mtimeMs, file.ctimeMs].join(':');
}

/** The cache in `dir` (the state dir); believed only if root or this user wrote it and no one else can. */
export function versionCache(dir: string): VersionCache {
  const entries = readTrusted(join(dir, FILE));
  let changed = false;
  return {
    get(path, file) {
      const e = entries[path];
      if (!e || e.identity !== identityOf(file)) return undefined;
      try {
        return parseVersion(e.version);
      } catch {
        return undefined;
      }
    },
    set(path, file, version) {
      entries[path] = { identity: identityOf(file), version: formatVersion(version) };
      changed = true;
    },
    save() {
      if (!changed) return;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = join(dir, `.${FILE}.${process.pid}`);
        writeFileSync(tmp, JSON.stringify(entries), { mode: 0o600 });
        renameSync(tmp, join(dir, FILE));
      } catch {
        // a CLI run without write access to the state dir detects again next time
      }
    },
  };
}

function readTrusted(path: string): Record<string, Entry> {
  const data = readTrustedFile(path);
  try {
    const parsed: unknown = data === undefined ? {} : JSON.parse(data.toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, Entry> : {};
  } catch {
    return {};
  }
}
