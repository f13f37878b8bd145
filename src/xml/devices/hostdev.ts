/** Style 1: <hostdev mode='subsystem' type='pci'> naming the VF by PCI address. No MAC or VLAN in XML. */
import { InputError } from '../../errors.js';
import { formatPciAddress } from '../../model/pci-address.js';
import type { ElementHead, XmlDocument, XmlElement } from '../dom.js';
import { buildStyled, readParts, readSourceAddress } from './common.js';
import type { DeviceFields } from './device-fields.js';

export function isPciHostdev(el: ElementHead): boolean {
  return el.localName === 'hostdev' && el.getAttribute('mode') !== 'capabilities' && el.getAttribute('type') === 'pci';
}

export function readHostdev(el: XmlElement, where: string): DeviceFields {
  const vf = readSourceAddress(el, where);
  if (!vf) throw new InputError(`${where}: <hostdev type='pci'> has no <source><address .../></source>`, 'name the VF by its PCI address');
  return { vf, ...readParts(el, 'hostdev') };
}

export function buildHostdev(doc: XmlDocument, f: DeviceFields, indent: string | null, step?: string): XmlElement {
  return buildStyled(doc, 'hostdev', f, indent, step);
}

export function hostdevLabel(f: DeviceFields): string {
  return `hostdev ${f.vf ? formatPciAddress(f.vf) : '?'}`;
}
