/** Reading and writing the XML pieces the device styles share: <mac>, <vlan>, <source><address>. */
import { InputError } from '../../errors.js';
import { normalizeMac } from '../../model/mac.js';
import { pciAddressAttributes, pciAddressFromAttributes, type PciAddress } from '../../model/pci-address.js';
import { parseInteger, type Vlan } from '../../model/vf-settings.js';
import { child, childElements, isElement, TEXT_NODE, type ElementSpec, type XmlElement, type XmlNode } from '../dom.js';

export function readMac(el: XmlElement): string | undefined {
  const address = child(el, 'mac')?.getAttribute('address');
  return address ? normalizeMac(address) : undefined;
}

/** One 802.1Q tag: what libvirt (and a VF) can carry. A trunk is an error that says so. */
export function readVlan(el: XmlElement, where: string): Vlan | undefined {
  const vlan = child(el, 'vlan');
  if (!vlan) return undefined;
  const tags = childElements(vlan, 'tag');
  if (tags.length !== 1 || vlan.getAttribute('trunk') === 'yes') {
    throw new InputError(`${where}: a VF takes exactly one VLAN tag, the XML gives ${tags.length === 1 ? 'a trunk' : tags.length}`,
      "keep a single <vlan><tag id='N'/></vlan>; a VF can't trunk");
  }
  const id = tags[0]!.getAttribute('id');
  if (id === null) throw new InputError(`${where}: <vlan><tag> has no id`, "write <tag id='N'/>");
  return { id: parseInteger(id, `${where}: VLAN tag`) };
}

export function readSourceAddress(el: XmlElement, where: string): PciAddress | undefined {
  const address = child(el, 'source', 'address');
  return address ? pciAddressFromAttributes((n) => address.getAttribute(n), where) : undefined;
}

/** A device's source PCI address, or null when it has none that reads: such a device names no VF. */
export function pciSourceFrom(attrs: (name: string) => string | null): PciAddress | null {
  try {
    return pciAddressFromAttributes(attrs, '');
  } catch {
    return null;
  }
}

export function macSpec(mac: string | undefined): ElementSpec[] {
  return mac ? [{ name: 'mac', attrs: { address: mac } }] : [];
}

export function vlanSpec(vlan: Vlan | undefined): ElementSpec[] {
  return vlan ? [{ name: 'vlan', children: [{ name: 'tag', attrs: { id: String(vlan.id) } }] }] : [];
}

export function sourceAddressSpec(vf: PciAddress, withType: boolean): ElementSpec {
  const attrs = withType ? { type: 'pci', ...pciAddressAttributes(vf) } : pciAddressAttributes(vf);
  return { name: 'source', children: [{ name: 'address', attrs }] };
}

/** The children that aren't one of `own`: the ones a conversion carries to the new element. */
export function otherChildren(el: XmlElement, own: readonly string[]): XmlNode[] {
  return Array.from(el.childNodes).filter(
    (n) => n.nodeType !== TEXT_NODE && !(isElement(n) && own.includes(n.localName) && !n.namespaceURI),
  );
}
