/**
 * The kernel's side of `sriov_numvfs` for a fake host whose sysfs is written by other processes
 * (hooks spawned by a real libvirtd write the plain file; nothing wraps their writes as
 * FakeHost.sysfs does in process). One pass compares each PF's `sriov_numvfs` with the VFs it
 * has and applies what was written with FakeHost.setNumVfs's semantics: N creates N VFs, 0
 * removes them (not while one is bound to vfio-pci), N -> M (both non-zero) is refused. A write
 * the kernel refuses puts the old count back in the file (a real write would fail with the
 * errno instead) and is recorded in `dmesg.log` beside the fake host.
 *
 * Limits of watching a plain file: an empty file is a write in progress and is left for the
 * next pass; two writes between passes are seen as the last one only, so `0` then `N` on a PF
 * that had M > 0 VFs reads as `M -> N` and is refused (loudly, in dmesg.log). The hooks in the
 * integration suite only ever go from 0 to N.
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeHost } from './fake-host.js';
import { withFakeHostLock } from './fake-host-lock.js';

export interface KernelEvent {
  readonly time: string;
  readonly pf: string;
  /** What was written to sriov_numvfs. */
  readonly wrote: string;
  readonly from: number;
  readonly result: 'ok' | 'refused';
  readonly why?: string;
}

export const DMESG_FILE = 'dmesg.log';

function numVfsFile(host: FakeHost, pci: string): string {
  return join(host.sysRoot, 'bus/pci/devices', pci, 'sriov_numvfs');
}

function vfLinks(host: FakeHost, pci: string): number {
  return readdirSync(join(host.sysRoot, 'bus/pci/devices', pci)).filter((n) => /^virtfn\d+$/.test(n)).length;
}

/** One look at every PF of the fake host; applies each pending write. Returns what it did. */
export function kernelPass(host: FakeHost): KernelEvent[] {
  const events: KernelEvent[] = [];
  const pfs = Object.values(host.load().pfs).map((p) => ({ name: p.spec.name, pci: p.spec.pci }));
  for (const { name, pci } of pfs) {
    const file = numVfsFile(host, pci);
    const quick = readFileSync(file, 'utf8').trim();
    if (quick === '' || Number(quick) === vfLinks(host, pci)) continue;
    withFakeHostLock(host.root, () => {
      const wrote = readFileSync(file, 'utf8').trim();
      const from = host.load().pfs[name]!.vfs.length;
      if (wrote === '' || Number(wrote) === from) return;
      const event = { time: new Date().toISOString(), pf: name, wrote, from };
      try {
        if (!/^\d+$/.test(wrote)) throw Object.assign(new Error(`EINVAL: '${wrote}' is not a number`), { code: 'EINVAL' });
        host.setNumVfs(name, Number(wrote));
        events.push({ ...event, result: 'ok' });
      } catch (e) {
        writeFileSync(file, `${from}\n`);
        events.push({ ...event, result: 'refused', why: (e as Error).message });
      }
    });
  }
  for (const e of events) appendFileSync(join(host.root, DMESG_FILE), JSON.stringify(e) + '\n');
  return events;
}

/** What the fake kernel did so far. */
export function readDmesg(root: string): KernelEvent[] {
  try {
    return readFileSync(join(root, DMESG_FILE), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as KernelEvent);
  } catch {
    return [];
  }
}
