/**
 * What a guest's VF must look like while it runs, and what it must go back to when it stops:
 * the two decisions at the heart of the qemu hook, as pure functions.
 */
import { canSet, ZERO_MAC, ZERO_MAC_FALLBACK, type DriverProfile } from '../drivers/driver-profiles.js';
import type { VfDefaults } from '../config/config.js';
import type { VfSettings } from '../model/vf-settings.js';
import { CLEAN_VF, desiredFromSettings, SNAPSHOT_KEYS, type SnapshotKey, type VfDesired, type VfSnapshot } from './vf-snapshot.js';

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

/** A hostdev network's VF defaults from the config, as the settings a guest would ask. */
export function networkSettings(d: VfDefaults): VfSettings {
  const { vlan, qos, ...rest } = d;
  return { ...rest, ...(vlan !== undefined ? { vlan: { id: vlan, ...(qos !== undefined ? { qos } : {}) } } : {}) };
}

export type ReleasePolicy = 'restore' | 'reset';

/** The keys a guest's VF was given: what start set, and the MAC and VLAN libvirt sets itself. */
export function changedKeys(guest: VfDesired): SnapshotKey[] {
  return SNAPSHOT_KEYS.filter((k) => k === 'mac' || k === 'vlan' || guest[k] !== undefined);
}

/**
 * What a VF goes back to when its guest is gone. `restore` puts back, on exactly the keys the
 * guest changed, what the VF had before (as sriov-cni does), then scrubs: nothing of the guest's
 * may stay (isolationScrub). `reset`, or an original never seen (a VF adopted at reconnect),
 * leaves a clean VF, on the fields this VF reports and its driver can set.
 */
export function releaseDesired(original: VfSnapshot | null, guest: VfDesired, policy: ReleasePolicy, current: VfSnapshot, profile: DriverProfile | null): VfDesired {
  if (policy === 'reset' || !original) return cleanVf(current, profile);
  const restored = Object.fromEntries(changedKeys(guest).map((k) => [k, original[k]])) as VfDesired;
  return writableMac(isolationScrub(restored, original, guest), current, profile);
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
 * The step after a restore: a VF that had the guest's VLAN, trust or MAC before the guest (a
 * guest started on a VF prepared by hand) must still not keep them for the next one.
 */
export function isolationScrub(target: VfDesired, original: VfSnapshot, guest: VfDesired): VfDesired {
  const same = <K extends keyof VfSnapshot>(k: K) => JSON.stringify(original[k]) === JSON.stringify(guest[k]);
  return {
    ...target,
    vlan: original.vlan && guest.vlan && same('vlan') ? null : original.vlan,
    ...(target.trust !== undefined ? { trust: original.trust && guest.trust ? false : original.trust } : {}),
    mac: guest.mac !== undefined && same('mac') ? ZERO_MAC : original.mac,
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
