/** Style 3: <interface type='network'> on a hostdev network (<forward mode='hostdev'>): a VF from a pool. */
import { InputError } from '../../errors.js';
import { child, type XmlDocument, type XmlElement } from '../dom.js';
import { buildStyled, readMac, readParts, readVlan } from './common.js';
import type { DeviceFields } from './device-fields.js';

export function isNetworkInterface(el: XmlElement): boolean {
  return el.localName === 'interface' && el.getAttribute('type') === 'network';
}

export function networkOf(el: XmlElement): string | null {
  return child(el, 'source')?.getAttribute('network') ?? null;
}

export function readNetworkInterface(el: XmlElement, where: string): DeviceFields {
  const network = networkOf(el);
  if (!network) throw new InputError(`${where}: <interface type='network'> has no <source network='...'/>`, 'name the network');
  return { network, mac: readMac(el), vlan: readVlan(el, where), ...readParts(el, 'network') };
}

export function buildNetworkInterface(doc: XmlDocument, f: DeviceFields, indent: string | null, step?: string): XmlElement {
  return buildStyled(doc, 'network', f, indent, step);
}

export function networkInterfaceLabel(f: DeviceFields): string {
  return `interface ${f.mac ?? `on network ${f.network}`}`;
}
