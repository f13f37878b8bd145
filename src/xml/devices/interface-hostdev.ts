/** Style 2: <interface type='hostdev'>: the VF by PCI address, with <mac> and <vlan> that libvirt sets. */
import { InputError } from '../../errors.js';
import { formatPciAddress } from '../../model/pci-address.js';
import type { ElementHead, XmlDocument, XmlElement } from '../dom.js';
import { buildStyled, readMac, readParts, readSourceAddress, readVlan } from './common.js';
import type { DeviceFields } from './device-fields.js';

export function isHostdevInterface(el: ElementHead): boolean {
  return el.localName === 'interface' && el.getAttribute('type') === 'hostdev';
}

export function readHostdevInterface(el: XmlElement, where: string): DeviceFields {
  const vf = readSourceAddress(el, where);
  if (!vf) throw new InputError(`${where}: <interface type='hostdev'> has no <source><address type='pci' .../></source>`, 'name the VF by its PCI address');
  return { vf, mac: readMac(el), vlan: readVlan(el, where), ...readParts(el, 'interface') };
}

export function buildHostdevInterface(doc: XmlDocument, f: DeviceFields, indent: string | null, step?: string): XmlElement {
  return buildStyled(doc, 'interface', f, indent, step);
}

export function hostdevInterfaceLabel(f: DeviceFields): string {
  return `interface ${f.mac ?? (f.vf ? formatPciAddress(f.vf) : '?')}`;
}
