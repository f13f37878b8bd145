/**
 * What a guest's VF must look like while it runs, and what it must go back to when it stops:
 * the two decisions at the heart of the qemu hook, as pure functions.
 */
import { canSet, ZERO_MAC, ZERO_MAC_FALLBACK, type DriverProfile } from '../drivers/driver-profiles.js';
import type { VfDefaults } from '../config/config.js';
import { compact, SETTING_NAMES, type VfSettings, type Vlan } from '../model/vf-settings.js';
import { CLEAN_VF, desiredFromSettings, sameValue, SNAPSHOT_KEYS, type SnapshotKey, type VfDesired, type VfSnapshot } from './vf-snapshot.js';

/**
 * The VF a guest gets. Unasked-for privileges are taken away: untagged unless a VLAN was
 * given (a VLAN left by a previous guest must not leak into this one), trust off and spoof
 * checking on unless the guest asked otherwise. Rates, link state and query_rss are left alone
 * unless asked. A default goes only on a field the VF reports and its driver can set: a driver
 * without trust would refuse `trust off`, and no guest could start on it.
 */
export function guestDesired(asked: VfSettings, vf: VfSnapshot, profile: DriverProfile | null): VfDesired {
  const defaults: Record<string, unknown> = { vlan: null };
  if (vf.trust !== null && canSet(profile, 'trust')) defaults.trust = false;
  // spoof checking on a VF with no MAC drops all it sends on some drivers (mlx5): left as it is there
  const macless = (asked.mac ?? vf.mac) === ZERO_MAC && profile?.quirks.includes('spoofchk-needs-mac');
  if (vf.spoofchk !== null && canSet(profile, 'spoofchk') && !macless) defaults.spoofchk = true;
  return { ...(defaults as VfDesired), ...desiredFromSettings(asked) };
}

/**
 * guestDesired read backwards: what a guest asked of its VF, from what its record says the VF is
 * given. A value a clean VF has (no MAC, untagged, trust off, spoof checking on, link auto, no
 * rate limit, query_rss off) is left out: guestDesired gives the defaults again on any VF, and
 * asking one of a driver that can't set it would refuse the guest there. libvirt's stand-in for
 * no MAC (on a driver that refuses zeros, bnx2x) is no MAC either.
 */
export function askedFromGuest(g: VfDesired): VfSettings {
  const asked: Record<string, unknown> = {};
  for (const k of SNAPSHOT_KEYS) {
    const v = g[k];
    if (v !== undefined && v !== null && !sameValue(k, g, CLEAN_VF) && !(k === 'mac' && v === ZERO_MAC_FALLBACK)) asked[k] = v;
  }
  return asked as VfSettings;
}

/**
 * What a running guest asks of its VF: its record's values (what the VF was given, live changes
 * included) over what its XML and metadata say, each key the record has read as askedFromGuest.
 */
export function heldOver(settings: VfSettings, guest: VfDesired): VfSettings {
  const asked = askedFromGuest(guest);
  return compact(Object.fromEntries(SETTING_NAMES.map((k) => [k, guest[k] !== undefined ? asked[k] : settings[k]])) as VfSettings);
}

/** A hostdev network's VF defaults from the config, as the settings a guest would ask. */
export function networkSettings(d: VfDefaults): VfSettings {
  const { vlan, qos, ...rest } = d;
  return { ...rest, ...(vlan !== undefined ? { vlan: { id: vlan, ...(qos !== undefined ? { qos } : {}) } } : {}) };
}

/**
 * What a network-style NIC's VF is given: its hostdev network's defaults from the config, then
 * the VLAN libvirt gave the port (the network's, or its portgroup's), under the NIC's own settings.
 */
export function withNetworkDefaults(networks: Readonly<Record<string, VfDefaults>>, port: { readonly network: string | null; readonly portVlan?: Vlan } | null, asked: VfSettings): VfSettings {
  const d = port?.network ? networks[port.network] : undefined;
  return { ...(d ? networkSettings(d) : {}), ...(port?.portVlan ? { vlan: port.portVlan } : {}), ...asked };
}

export type ReleasePolicy = 'restore' | 'reset';

/** The keys libvirt itself may set on a guest's VF (from the XML, the network, its portgroup): always counted as changed. */
export const LIBVIRT_KEYS: readonly SnapshotKey[] = ['mac', 'vlan'];

/**
 * What a VF's record says was changed for its guest, once `applied` has been written too (in
 * snapshot order, with LIBVIRT_KEYS). `record` null: a new record. A record kept before the
 * list was (no `changed`) stays without it: all its saved keys count (keysToRestore).
 */
export function changedAfter(record: { readonly changed?: readonly SnapshotKey[] } | null, applied: Iterable<SnapshotKey>): SnapshotKey[] | undefined {
  if (record && record.changed === undefined) return undefined;
  const keys = new Set<SnapshotKey>([...LIBVIRT_KEYS, ...(record?.changed ?? []), ...applied]);
  return SNAPSHOT_KEYS.filter((k) => keys.has(k));
}

/** What release knows of a guest's VF: what it was before, what the guest was given, and what was changed. */
export interface GuestVfHistory {
  /** null: never seen before the guest (adopted at reconnect). */
  readonly original: VfSnapshot | null;
  readonly guest: VfDesired;
  /** Absent in a record from before it was kept. */
  readonly changed?: readonly SnapshotKey[];
}

/**
 * The keys release puts back: those the record says were changed. A record from before the list
 * was kept counts every key it saved as changed: each the VF reported and its driver can set,
 * and each the guest was given.
 */
export function keysToRestore(history: GuestVfHistory, original: VfSnapshot, profile: DriverProfile | null): SnapshotKey[] {
  if (history.changed) return SNAPSHOT_KEYS.filter((k) => history.changed!.includes(k));
  return SNAPSHOT_KEYS.filter((k) => LIBVIRT_KEYS.includes(k) || history.guest[k] !== undefined
    || (original[k] !== null && canSet(profile, k) && !profile?.fixedReports.includes(k)));
}

/** What a VF goes back to when its guest is gone, in two named steps. */
export interface ReleasePlan {
  /** Each changed key back to what it was before the guest (a clean VF where that is unknown, or under `reset`). */
  readonly restore: VfDesired;
  /** The isolation scrub, after the restore and over it: what of the guest's the restore would leave. */
  readonly scrub: VfDesired;
}

/**
 * `restore` puts back, on exactly the keys the record says were changed, what the VF had before
 * (as sriov-cni does), then scrubs: nothing of the guest's may stay (isolationScrub). `reset`,
 * or an original never seen (a VF adopted at reconnect), leaves a clean VF, on the fields this
 * VF reports and its driver can set.
 */
export function releasePlan(history: GuestVfHistory, policy: ReleasePolicy, current: VfSnapshot, profile: DriverProfile | null): ReleasePlan {
  const { original } = history;
  if (policy === 'reset' || !original) return { restore: cleanVf(current, profile), scrub: {} };
  const restore = Object.fromEntries(keysToRestore(history, original, profile).map((k) => [k, original[k]])) as VfDesired;
  return { restore, scrub: isolationScrub({ ...current, ...restore }, history.guest) };
}

/** The VF after both steps of a release plan, with a MAC its driver takes. */
export function releaseTarget({ restore, scrub }: ReleasePlan, current: VfSnapshot, profile: DriverProfile | null): VfDesired {
  return writableMac({ ...restore, ...scrub }, current, profile);
}

/** What a VF goes back to when its guest is gone: releasePlan's two steps as one target. */
export function releaseDesired(history: GuestVfHistory, policy: ReleasePolicy, current: VfSnapshot, profile: DriverProfile | null): VfDesired {
  return releaseTarget(releasePlan(history, policy, current, profile), current, profile);
}

/**
 * A driver that refuses an all-zero MAC (bnx2x) gets libvirt's stand-in, 02:00:00:00:00:00
 * (virnetdev.c), where the VF must lose a MAC. A VF already at zero is left alone.
 */
export function writableMac(target: VfDesired, current: VfSnapshot, profile: DriverProfile | null): VfDesired {
  if (target.mac !== ZERO_MAC || profile?.zeroMac !== 'refuses') return target;
  if (current.mac !== ZERO_MAC) return { ...target, mac: ZERO_MAC_FALLBACK };
  const { mac: _zero, ...rest } = target;
  return rest;
}

/**
 * The isolation scrub, the step after a restore, on the VF as the restore leaves it
 * (`restored`: the restored keys, the rest as the VF is now): whatever of the guest's VLAN, trust
 * or MAC it would keep (it had them before the guest, a guest started on a VF prepared by hand;
 * or something no hook recorded put them there) goes. Only the keys it takes away: no VLAN,
 * trust off, no MAC.
 */
export function isolationScrub(restored: VfDesired, guest: VfDesired): VfDesired {
  const same = (k: 'vlan' | 'mac') => JSON.stringify(restored[k]) === JSON.stringify(guest[k]);
  return {
    ...(restored.vlan && guest.vlan && same('vlan') ? { vlan: null } : {}),
    ...(restored.trust && guest.trust ? { trust: false } : {}),
    ...(guest.mac !== undefined && same('mac') ? { mac: ZERO_MAC } : {}),
  };
}

/** A clean VF as far as this VF and its driver allow: MAC and VLAN always, the rest where reported and settable. */
export function cleanVf(current: VfSnapshot, profile: DriverProfile | null): VfDesired {
  const out: Record<string, unknown> = {};
  for (const k of SNAPSHOT_KEYS) {
    const settable = k === 'mac' || k === 'vlan' || (current[k] !== null && canSet(profile, k) && !profile?.fixedReports.includes(k));
    if (settable) out[k] = CLEAN_VF[k];
  }
  return writableMac(out as VfDesired, current, profile);
}
