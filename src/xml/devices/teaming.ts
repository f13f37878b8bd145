/**
 * libvirt's <teaming> failover pair: a virtio-net interface with <teaming type='persistent'/>
 * (the standby, which stays through migration) and a VF with <teaming type='transient'
 * persistent='ALIAS'/> (unplugged by libvirt before migration, which QEMU refuses with a VF
 * plugged in otherwise). Both carry the same MAC: the guest's net_failover driver pairs them by it.
 */
import { child, type XmlElement } from '../dom.js';

/** The standby half of a pair: never a VF, whatever MAC or network it shares with one. */
export function isFailoverStandby(el: XmlElement): boolean {
  return el.localName === 'interface' && child(el, 'teaming')?.getAttribute('type') === 'persistent';
}

/** The alias of the standby a VF is paired with, or null when the VF is not in a pair. */
export function failoverPartner(el: XmlElement): string | null {
  const teaming = child(el, 'teaming');
  return teaming?.getAttribute('type') === 'transient' ? teaming.getAttribute('persistent') : null;
}

/** libvirt takes a user alias only in this form (virDomainDeviceAliasIsUserAlias + the schema). */
export const USER_ALIAS = /^ua-[a-zA-Z0-9_-]+$/;
