/**
 * A VF's full state as plain data, and the typed operations (src/host/vf-port.ts) that take it
 * from one state to another. Pure: the hooks decide here and act through the VF port.
 */
import type { DriverProfile } from '../drivers/driver-profiles.js';
import type { VfState } from '../host/ip-link.js';
import type { VfOp, VfSetting } from '../host/vf-port.js';
import { formatSetting, type VfSettings, type Vlan } from '../model/vf-settings.js';

/**
 * Everything `ip -j link show` reports of a VF's settings (VfState without its index and
 * counters), the VLAN and its priority as one; null where the driver reports nothing.
 */
export interface VfSnapshot extends Omit<VfState, 'vf' | 'vlan' | 'qos' | 'stats'> {
  /** null: untagged. */
  readonly vlan: Vlan | null;
}

/** What a VF should become; absent keys are left as they are. */
export type VfDesired = Partial<VfSnapshot>;

export type SnapshotKey = keyof VfSnapshot;
export const SNAPSHOT_KEYS: readonly SnapshotKey[] = ['mac', 'vlan', 'spoofchk', 'trust', 'linkState', 'minTxRate', 'maxTxRate', 'queryRss'];

/** A VF as libvirt and the kernel name it, for commands and messages. */
export interface VfRef {
  readonly pf: string;
  readonly index: number;
  readonly pci: string;
}

export function describeVf(vf: VfRef): string {
  return `${vf.pf} vf ${vf.index} (${vf.pci})`;
}

export function snapshotOf(s: VfState): VfSnapshot {
  return {
    mac: s.mac,
    vlan: s.vlan ? (s.qos ? { id: s.vlan, qos: s.qos } : { id: s.vlan }) : null,
    spoofchk: s.spoofchk,
    trust: s.trust,
    linkState: s.linkState,
    minTxRate: s.minTxRate,
    maxTxRate: s.maxTxRate,
    queryRss: s.queryRss,
  };
}

/** A guest's VF settings as a desired state. */
export function desiredFromSettings(s: VfSettings): VfDesired {
  const d: Record<string, unknown> = {};
  if (s.mac !== undefined) d.mac = s.mac;
  if (s.vlan !== undefined) d.vlan = s.vlan;
  if (s.trust !== undefined) d.trust = s.trust;
  if (s.spoofchk !== undefined) d.spoofchk = s.spoofchk;
  if (s.linkState !== undefined) d.linkState = s.linkState;
  if (s.minTxRate !== undefined) d.minTxRate = s.minTxRate;
  if (s.maxTxRate !== undefined) d.maxTxRate = s.maxTxRate;
  if (s.queryRss !== undefined) d.queryRss = s.queryRss;
  return d as VfDesired;
}

export function formatValue(key: SnapshotKey, v: VfDesired): string {
  const value = v[key];
  if (value === undefined) return '-';
  if (value === null) return key === 'vlan' ? 'none' : '?';
  if (key === 'vlan') return formatSetting('vlan', { vlan: value as Vlan })!;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

export function sameValue(key: SnapshotKey, a: VfDesired, b: VfDesired): boolean {
  return formatValue(key, a) === formatValue(key, b);
}

/**
 * One change to one VF, as a typed operation for the VF port (src/host/vf-port.ts), with the
 * snapshot keys it changes and what they were and become, for the log.
 */
export type VfChange = VfOp & {
  readonly vf: VfRef;
  readonly keys: readonly SnapshotKey[];
  readonly from: string;
  readonly to: string;
};

/**
 * The operations that take `vf` from `current` to `desired`, one per setting (rates together),
 * so a driver that refuses one setting is pinned to that setting. Only what differs.
 */
export function planChanges(vf: VfRef, current: VfDesired, desired: VfDesired): VfChange[] {
  const differs = (k: SnapshotKey) => {
    const want = desired[k];
    if (want === undefined) return false;
    if (want === null) return k === 'vlan' && current.vlan !== null && current.vlan !== undefined;
    return !sameValue(k, current, desired);
  };
  return operations(vf, SNAPSHOT_KEYS.filter(differs), current, desired);
}

/** The operations that write every setting `target` has, whatever the VF has now (to undo). */
export function writeAll(vf: VfRef, target: VfDesired): VfChange[] {
  return operations(vf, SNAPSHOT_KEYS.filter((k) => target[k] !== undefined && (target[k] !== null || k === 'vlan')), {}, target);
}

function operations(vf: VfRef, keys: readonly SnapshotKey[], current: VfDesired, desired: VfDesired): VfChange[] {
  const out: VfChange[] = [];
  const change = (ks: SnapshotKey[], setting: VfSetting) => out.push({
    ...setting, vf, keys: ks,
    from: ks.map((k) => formatValue(k, current)).join('/'),
    to: ks.map((k) => formatValue(k, desired)).join('/'),
  } as VfChange);
  const has = (k: SnapshotKey) => keys.includes(k);
  if (has('mac')) change(['mac'], { key: 'mac', value: desired.mac! });
  if (has('vlan')) change(['vlan'], { key: 'vlan', value: desired.vlan ?? null });
  if (has('spoofchk')) change(['spoofchk'], { key: 'spoofchk', value: !!desired.spoofchk });
  if (has('trust')) change(['trust'], { key: 'trust', value: !!desired.trust });
  if (has('linkState')) change(['linkState'], { key: 'linkState', value: desired.linkState! });
  if (has('minTxRate') || has('maxTxRate')) {
    // both in one operation: the kernel checks min <= max against the pair it is given
    const min = desired.minTxRate ?? current.minTxRate ?? 0;
    const max = desired.maxTxRate ?? current.maxTxRate ?? 0;
    change(['minTxRate', 'maxTxRate'], { key: 'txRate', value: { min, max } });
  }
  if (has('queryRss')) change(['queryRss'], { key: 'queryRss', value: !!desired.queryRss });
  return out;
}

/**
 * What a read of the VF proves: a field the driver reports as a constant (bnx2x: spoofchk always
 * on) says nothing, so it is left out and a change to it is always written.
 */
export function provenBy(read: VfDesired, profile: DriverProfile | null): VfDesired {
  if (!profile?.fixedReports.length) return read;
  return Object.fromEntries(Object.entries(read).filter(([k]) => !profile.fixedReports.includes(k as SnapshotKey))) as VfDesired;
}

/** The keys where `actual` is not what `desired` asked for (a field the driver reports as a constant can't be checked). */
export function mismatches(desired: VfDesired, actual: VfSnapshot, profile: DriverProfile | null = null): SnapshotKey[] {
  return SNAPSHOT_KEYS.filter((k) => {
    const want = desired[k];
    if (want === undefined || profile?.fixedReports.includes(k)) return false;
    if (want === null) return k === 'vlan' ? actual.vlan !== null : false;
    if (actual[k] === null && k !== 'vlan') return false; // the driver doesn't report it: can't check
    return !sameValue(k, desired, actual);
  });
}

/** A clean VF: what `release` leaves under the reset policy. */
export const CLEAN_VF: VfDesired = {
  mac: '00:00:00:00:00:00', vlan: null, spoofchk: true, trust: false, linkState: 'auto', minTxRate: 0, maxTxRate: 0, queryRss: false,
};
