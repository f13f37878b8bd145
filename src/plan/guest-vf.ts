/**
 * What a guest's VF must look like while it runs, and what it must go back to when it stops:
 * the two decisions at the heart of the qemu hook, as pure functions.
 */
import type { VfSettings } from '../model/vf-settings.js';
import type { Style } from '../xml/devices/device-fields.js';
import { CLEAN_VF, desiredFromSettings, type VfDesired, type VfSnapshot } from './vf-snapshot.js';

/**
 * The VF a guest gets. Unasked-for privileges are taken away: untagged unless a VLAN was
 * given (a VLAN left by a previous guest must not leak into this one), trust off and spoof
 * checking on unless the guest asked otherwise. Rates, link state and query_rss are left alone
 * unless asked.
 */
export function guestDesired(asked: VfSettings): VfDesired {
  return { vlan: null, trust: false, spoofchk: true, ...desiredFromSettings(asked) };
}

/**
 * The VF as libvirt leaves it just before the `start` hook, derived from its state before the
 * guest: libvirt sets MAC and VLAN (0 when the XML has none) for <interface> styles, nothing for
 * a plain <hostdev>. Lets `start` plan without reading the VF first.
 */
export function afterLibvirt(original: VfSnapshot, style: Style, xml: VfSettings): VfDesired {
  if (style === 'hostdev') return original;
  return { ...original, mac: xml.mac ?? original.mac, vlan: xml.vlan ? { id: xml.vlan.id } : null };
}

export type ReleasePolicy = 'restore' | 'reset';

/**
 * What a VF goes back to when its guest is gone. `restore` puts back what it had before the
 * guest, then makes sure nothing of the guest's stays: its VLAN, its trust, its MAC. `reset`
 * (or an original never seen, as for a VF adopted at reconnect) leaves a clean VF.
 */
export function releaseDesired(original: VfSnapshot | null, guest: VfDesired, policy: ReleasePolicy): VfDesired {
  if (policy === 'reset' || !original) return CLEAN_VF;
  const same = <K extends keyof VfSnapshot>(k: K) => JSON.stringify(original[k]) === JSON.stringify(guest[k]);
  return {
    ...original,
    vlan: original.vlan && guest.vlan && same('vlan') ? null : original.vlan,
    trust: original.trust && guest.trust ? false : original.trust,
    mac: guest.mac !== undefined && same('mac') ? CLEAN_VF.mac : original.mac,
  };
}
