/** Style 1: <hostdev mode='subsystem' type='pci'> naming the VF by PCI address. No MAC or VLAN in XML. */
import { InputError } from '../../errors.js';
import { formatPciAddress } from '../../model/pci-address.js';
import { build, child, type ElementHead, type XmlDocument, type XmlElement } from '../dom.js';
import { otherChildren, readSourceAddress, sourceAddressSpec } from './common.js';
import type { DeviceFields } from './device-fields.js';

const OWN = ['source', 'driver'];

export function isPciHostdev(el: ElementHead): boolean {
  return el.localName === 'hostdev' && el.getAttribute('mode') !== 'capabilities' && el.getAttribute('type') === 'pci';
}

export function readHostdev(el: XmlElement, where: string): DeviceFields {
  const vf = readSourceAddress(el, where);
  if (!vf) throw new InputError(`${where}: <hostdev type='pci'> has no <source><address .../></source>`, 'name the VF by its PCI address');
  return {
    vf,
    managed: el.getAttribute('managed') ?? undefined,
    driver: child(el, 'driver') ?? undefined,
    carried: otherChildren(el, OWN),
  };
}

export function buildHostdev(doc: XmlDocument, f: DeviceFields, indent: string | null): XmlElement {
  if (!f.vf) throw new Error('buildHostdev needs a VF');
  return build(doc, {
    name: 'hostdev',
    attrs: { mode: 'subsystem', type: 'pci', managed: f.managed ?? 'yes' },
    children: [...(f.driver ? [f.driver] : []), sourceAddressSpec(f.vf, false), ...f.carried],
  }, indent);
}

export function hostdevLabel(f: DeviceFields): string {
  return `hostdev ${f.vf ? formatPciAddress(f.vf) : '?'}`;
}
