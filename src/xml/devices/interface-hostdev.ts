/** Style 2: <interface type='hostdev'>: the VF by PCI address, with <mac> and <vlan> that libvirt sets. */
import { InputError } from '../../errors.js';
import { formatPciAddress } from '../../model/pci-address.js';
import { build, child, type ElementHead, type XmlDocument, type XmlElement } from '../dom.js';
import { macSpec, otherChildren, readMac, readSourceAddress, readVlan, sourceAddressSpec, vlanSpec } from './common.js';
import type { DeviceFields } from './device-fields.js';

const OWN = ['mac', 'source', 'vlan', 'driver'];

export function isHostdevInterface(el: ElementHead): boolean {
  return el.localName === 'interface' && el.getAttribute('type') === 'hostdev';
}

export function readHostdevInterface(el: XmlElement, where: string): DeviceFields {
  const vf = readSourceAddress(el, where);
  if (!vf) throw new InputError(`${where}: <interface type='hostdev'> has no <source><address type='pci' .../></source>`, 'name the VF by its PCI address');
  return {
    vf,
    mac: readMac(el),
    vlan: readVlan(el, where),
    managed: el.getAttribute('managed') ?? undefined,
    driver: child(el, 'driver') ?? undefined,
    carried: otherChildren(el, OWN),
  };
}

export function buildHostdevInterface(doc: XmlDocument, f: DeviceFields, indent: string | null): XmlElement {
  if (!f.vf) throw new Error('buildHostdevInterface needs a VF');
  return build(doc, {
    name: 'interface',
    attrs: { type: 'hostdev', managed: f.managed ?? 'yes' },
    children: [
      ...macSpec(f.mac), ...(f.driver ? [f.driver] : []), sourceAddressSpec(f.vf, true), ...vlanSpec(f.vlan), ...f.carried,
    ],
  }, indent);
}

export function hostdevInterfaceLabel(f: DeviceFields): string {
  return `interface ${f.mac ?? (f.vf ? formatPciAddress(f.vf) : '?')}`;
}
