/**
 * Changing VFs through the VF port: every change of a call in one `apply`, each logged; read
 * back until MACs show; checked against what was asked; put back when a call fails; and, for
 * restores, everything that can be done, a refused all-zero MAC tried again as libvirt does.
 */
import { ZERO_MAC, ZERO_MAC_FALLBACK, type DriverProfile } from '../drivers/driver-profiles.js';
import { OperationError } from '../errors.js';
import type { PfLink } from '../host/ip-link.js';
import { isVfOpsFailed } from '../host/vf-port.js';
import { changedAfter } from '../plan/guest-vf.js';
import { describeVf, formatValue, mismatches, writeAll, type SnapshotKey, type VfChange, type VfDesired, type VfRef } from '../plan/vf-snapshot.js';
import type { VfRecord } from '../state/vf-record.js';
import type { HookEnv } from './hook-env.js';
import { readPfs, snapshotIn } from './vf-read.js';

/** How often, and after how long, a MAC that doesn't show yet is written and read again (sriov-cni retries too). */
export const MAC_SETTLE_WAITS_MS: readonly number[] = [50, 100, 200, 400];

/**
 * Read the VFs back after `changes`, until each shows its MAC: a driver may take a MAC while the
 * VF resets and show it only later (i40e, ice). A MAC not shown yet is written and read again, a
 * bounded number of times; anything else is for the caller to judge. Returns the last read.
 */
export async function readBackSettled(env: HookEnv, changes: readonly VfChange[]): Promise<Map<string, PfLink>> {
  const macs = changes.filter((c) => c.key === 'mac');
  const pfs = [...new Set(changes.map((c) => c.vf.pf))];
  let links = await readPfs(env, pfs);
  for (const wait of MAC_SETTLE_WAITS_MS) {
    // a zero MAC the driver refused stands in as 02:00:00:00:00:00 (applyAllYouCan)
    const shows = (c: VfChange, mac: string) => mac === c.to || (c.to === ZERO_MAC && mac === ZERO_MAC_FALLBACK);
    const late = macs.filter((c) => !shows(c, snapshotIn(links, c.vf).mac));
    if (late.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, wait));
    env.report.note(`MAC not shown yet on ${late.map((c) => describeVf(c.vf)).join(', ')}: written and read again after ${wait} ms`);
    await env.vfPort.apply(late);
    links = await readPfs(env, pfs);
  }
  return links;
}

function logChanges(env: HookEnv, changes: readonly VfChange[]): void {
  for (const c of changes) {
    env.report.changes.push({ pf: c.vf.pf, vf: c.vf.index, pci: c.vf.pci, setting: c.keys.join('/'), from: c.from, to: c.to });
  }
}

/** Apply every change in one go through the port, and log each. */
export async function applyChanges(env: HookEnv, changes: readonly VfChange[]): Promise<void> {
  if (changes.length === 0) return;
  await env.vfPort.apply(changes);
  logChanges(env, changes);
}

/**
 * Apply `changes` and read the VFs back: a VF that did not take what `targets` asks is an error
 * naming the VF and the settings. The caller puts back what it must (putBackTouched).
 */
export async function applyAndCheck(env: HookEnv, changes: readonly VfChange[], targets: readonly { vf: VfRef; desired: VfDesired; profile: DriverProfile | null }[]): Promise<void> {
  await applyChanges(env, changes);
  const after = changes.length ? await readBackSettled(env, changes) : await readPfs(env, targets.map((t) => t.vf.pf));
  for (const t of targets) {
    const actual = snapshotIn(after, t.vf);
    const wrong = mismatches(t.desired, actual, t.profile);
    if (wrong.length) {
      const what = wrong.map((k) => `${k} is ${formatValue(k, actual)}, not ${formatValue(k, t.desired)}`).join('; ');
      throw new OperationError(`${describeVf(t.vf)} did not take the settings: ${what}`, `the ${t.vf.pf} driver may not support them; see \`ip link show ${t.vf.pf}\``);
    }
  }
}

/**
 * Put back every setting `applied` touched, to what `before` (by PCI address) had, doing all that
 * can be done. Returns what could not be put back.
 */
export async function putBackTouched(env: HookEnv, applied: readonly VfChange[], before: ReadonlyMap<string, VfDesired>): Promise<VfChange[]> {
  const undo = [...new Map(applied.map((c) => [c.vf.pci, c.vf])).values()].flatMap((vf) => {
    const keys = new Set(applied.filter((c) => c.vf.pci === vf.pci).flatMap((c) => c.keys));
    const previous = before.get(vf.pci)!;
    return writeAll(vf, Object.fromEntries([...keys].map((k) => [k, previous[k]])) as VfDesired);
  });
  const failed = await applyAllYouCan(env, undo);
  for (const f of failed) env.report.note(`could not put back ${f.change.keys.join('/')} on ${describeVf(f.change.vf)}: ${f.why}`);
  return failed.map((f) => f.change);
}

/**
 * Apply changes one `apply` at a time, settings that fail skipped (for restores, which must do
 * all they can). A refused all-zero MAC is tried again as 02:00:00:00:00:00, as libvirt does
 * (virnetdev.c) for drivers the profiles don't know to refuse it. Returns the changes that
 * failed with why.
 */
export async function applyAllYouCan(env: HookEnv, changes: readonly VfChange[]): Promise<{ change: VfChange; why: string }[]> {
  const failed: { change: VfChange; why: string }[] = [];
  let rest = [...changes];
  while (rest.length) {
    try {
      await applyChanges(env, rest);
      return failed;
    } catch (e) {
      const refused = isVfOpsFailed(e) ? e : null;
      const why = refused ? refused.reason : (e as Error).message.split('\n')[0]!.trim();
      const at = refused?.failedAt ?? 0;
      logChanges(env, rest.slice(0, at));
      const change = rest[at]!;
      const zeroMac = change.key === 'mac' && change.to === ZERO_MAC;
      if (zeroMac) env.report.note(`${describeVf(change.vf)}: the driver refused MAC ${ZERO_MAC} (${why}); trying ${ZERO_MAC_FALLBACK}, as libvirt does`);
      else failed.push({ change, why });
      rest = [...(zeroMac ? [{ ...change, value: ZERO_MAC_FALLBACK, to: ZERO_MAC_FALLBACK }] : []), ...rest.slice(at + 1)];
    }
  }
  return failed;
}

/**
 * The keys `vf`'s record says were changed once `changes` are written (plan/guest-vf.ts
 * changedAfter), recorded before they are: a call killed half way leaves them for release to
 * put back. A record without the list (an older one) is left as it is; no record: nothing kept.
 */
export function recordChanging(env: HookEnv, vf: VfRef, record: VfRecord | null, changes: readonly VfChange[]): SnapshotKey[] | undefined {
  const changed = changedAfter(record, changes.filter((c) => c.vf.pci === vf.pci).flatMap((c) => c.keys));
  if (record?.changed && changed && changed.length > record.changed.length) env.state.put({ ...record, changed, updated: new Date().toISOString() });
  return changed;
}

/**
 * A call that failed after recordChanging: put back what it touched (putBackTouched), then each
 * record as it was before the call, with the keys the call did change and could not put back
 * (release restores them). A change the driver refused never took: it is not one of them.
 */
export async function undoCall(env: HookEnv, changes: readonly VfChange[], before: ReadonlyMap<string, VfDesired>, records: readonly (VfRecord | null)[], error: unknown): Promise<void> {
  const stuck = await putBackTouched(env, changes, before);
  const took = isVfOpsFailed(error) && error.failedAt !== null ? changes.slice(0, error.failedAt) : changes;
  const keysOf = (list: readonly VfChange[], pci: string) => list.filter((c) => c.vf.pci === pci).flatMap((c) => c.keys);
  for (const r of records) {
    if (!r) continue;
    const left = keysOf(stuck, r.pci).filter((k) => keysOf(took, r.pci).includes(k));
    env.state.put(left.length && r.changed ? { ...r, changed: changedAfter(r, left), updated: new Date().toISOString() } : r);
  }
}
