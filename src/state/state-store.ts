/**
 * The state directory: one JSON file per held VF, written atomically (write, rename),
 * and a lock so two hooks for two guests never lose each other's updates or take one VF twice.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { isPciName } from '../model/pci-address.js';
import { withLock } from './host-lock.js';
import { writeJsonAtomic } from './json-file.js';
import { pendingPlugs, type PendingPlugs } from './pending-plug.js';
import type { VfRecord } from './vf-record.js';

export interface StateStore {
  readonly dir: string;
  /** Run `f` holding the `vfs` lock (state/host-lock.ts): every change to a PF's VFs. */
  locked<T>(f: () => Promise<T>): Promise<T>;
  all(): VfRecord[];
  get(pci: string): VfRecord | null;
  put(record: VfRecord): void;
  remove(pci: string): void;
  /** VFs whose state file is there but can't be read as a record (damaged, or written by hand). */
  unreadable(): string[];
  /** Move a VF's state file out of the way (renamed, not deleted); returns its new name. */
  setAside(pci: string): string;
  /** Network-style NICs `attach --live` is hot-plugging, for the network hook (pending-plug.ts). */
  readonly plugs: PendingPlugs;
}

export function stateStore(dir: string): StateStore {
  const vfDir = join(dir, 'vfs');
  const file = (pci: string) => {
    if (!isPciName(pci)) throw new Error(`not a PCI address: ${pci}`);
    return join(vfDir, `${pci}.json`);
  };
  // once per store (a hook call makes one): every put of a start with 8 VFs needn't stat again
  let ensured = false;
  const ensure = () => {
    if (ensured) return;
    ensured = true;
    if (!existsSync(vfDir)) {
      const first = mkdirSync(vfDir, { recursive: true, mode: 0o700 });
      // 0700 whatever the umask when the state dir is made here; one that was there (a dir the
      // admin named, even /var/lib) keeps its mode: the records are in vfs/, which is ours
      if (first !== vfDir) chmodSync(dir, 0o700);
    }
    // who holds which VF, with its MACs: no one else reads it, however the dir was loosened
    if ((statSync(vfDir).mode & 0o077) !== 0) chmodSync(vfDir, 0o700);
  };
  const read = (path: string): VfRecord | null => {
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as VfRecord;
      // a half-written file can't exist (rename is atomic); a damaged one, or one of the wrong
      // shape, is no record (and unreadable() names it, so release can deal with its VF)
      return isRecord(r) ? r : null;
    } catch {
      return null;
    }
  };
  const setAside = (path: string) => {
    const aside = `${path}.corrupt-${Date.now()}`;
    renameSync(path, aside);
    return aside;
  };
  return {
    dir,
    async locked(f) {
      ensure();
      return withLock(dir, 'vfs', f);
    },
    all() {
      let names: string[] = [];
      try {
        names = readdirSync(vfDir).filter((n) => n.endsWith('.json'));
      } catch {
        return [];
      }
      return names.map((n) => read(join(vfDir, n))).filter((r): r is VfRecord => r !== null);
    },
    get: (pci) => read(file(pci)),
    put(record) {
      ensure();
      const path = file(record.pci);
      // a damaged file is replaced, but kept beside: nothing is lost
      if (existsSync(path) && !read(path)) setAside(path);
      writeJsonAtomic(path, record);
    },
    remove(pci) {
      rmSync(file(pci), { force: true });
    },
    unreadable() {
      try {
        return readdirSync(vfDir).filter((n) => n.endsWith('.json') && isPciName(n.slice(0, -5)) && !read(join(vfDir, n))).map((n) => n.slice(0, -5));
      } catch {
        return [];
      }
    },
    setAside: (pci) => setAside(file(pci)),
    plugs: pendingPlugs(dir),
  };
}

function isRecord(r: unknown): r is VfRecord {
  const x = r as Partial<VfRecord> | null;
  return typeof x === 'object' && x !== null && typeof x.pci === 'string' && isPciName(x.pci) && typeof x.pf === 'string' && Number.isInteger(x.index)
    && typeof x.owner === 'object' && x.owner !== null && typeof x.owner.name === 'string' && ['claimed', 'running', 'stopped'].includes(x.phase as string)
    && typeof x.guest === 'object' && x.guest !== null;
}
