/** Reading and writing a device in any style, by the style table: <mac>, <vlan>, <source>, and the other parts. */
import { InputError } from '../../errors.js';
import { normalizeMac } from '../../model/mac.js';
import { pciAddressAttributes, pciAddressFromAttributes, type PciAddress } from '../../model/pci-address.js';
import type { Vlan } from '../../model/vf-settings.js';
import { parseInteger } from '../../model/admin-values.js';
import { child, childElements, isElement, TEXT_NODE, type XmlDocument, type XmlElement, type XmlNode } from '../dom.js';
import { build, type ElementSpec } from '../edit.js';
import type { DeviceFields, DeviceParts, Style } from './device-fields.js';
import { childRank, isKnownChild, OWN_CHILDREN, STYLE_TABLE } from './style-table.js';

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

/**
 * The parts of a device element that are not its identity, MAC or VLAN (style-table.ts): its
 * attributes and <source>'s besides those that make it this style, and its other children.
 */
export function readParts(el: XmlElement, style: Style): DeviceParts {
  const shape = STYLE_TABLE[style];
  const own = shape.macAndVlan ? OWN_CHILDREN : ['source'];
  const source = child(el, 'source');
  return {
    attributes: attributesOf(el, Object.keys(shape.fixed)),
    sourceAttributes: source ? attributesOf(source, shape.identity === 'network' ? ['network'] : []) : {},
    children: Array.from(el.childNodes).filter(
      (n) => n.nodeType !== TEXT_NODE && !(isElement(n) && own.includes(n.localName) && !n.namespaceURI),
    ),
  };
}

function attributesOf(el: XmlElement, except: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value } of Array.from(el.attributes)) if (!except.includes(name)) out[name] = value;
  return out;
}

/**
 * A device element of `style` from its fields: the fixed attributes, then the others; the
 * children in the order libvirt formats them, so that libvirt's own XML comes back byte for
 * byte. A comment stays before the element that followed it; an element the table doesn't
 * know (and a comment that ended the device) stays after the one it followed.
 */
export function buildStyled(doc: XmlDocument, style: Style, f: DeviceFields, indent: string | null, step?: string): XmlElement {
  const shape = STYLE_TABLE[style];
  const own: ElementSpec[] = [];
  const spec = (s: ElementSpec) => own.push(s);
  if (shape.macAndVlan && f.mac) spec({ name: 'mac', attrs: { address: f.mac } });
  if (shape.identity === 'vf') {
    if (!f.vf) throw new Error(`building ${style} style needs a VF`);
    const address = style === 'interface' ? { type: 'pci', ...pciAddressAttributes(f.vf) } : pciAddressAttributes(f.vf);
    spec({ name: 'source', attrs: inOrder(f.sourceAttributes, shape.sourceAttributes), children: [{ name: 'address', attrs: address }] });
  } else {
    if (!f.network) throw new Error(`building ${style} style needs a network`);
    spec({ name: 'source', attrs: { network: f.network, ...inOrder(f.sourceAttributes, shape.sourceAttributes) } });
  }
  if (shape.macAndVlan && f.vlan) spec({ name: 'vlan', children: [{ name: 'tag', attrs: { id: String(f.vlan.id) } }] });
  return build(doc, {
    name: shape.element,
    attrs: { ...shape.fixed, ...inOrder(f.attributes, shape.attributes) },
    children: inLibvirtOrder(style, [...own, ...f.children]),
  }, indent, step);
}

/** Attributes in the order the table lists them (libvirt's), those it doesn't list after, as they were. */
function inOrder(attrs: Readonly<Record<string, string>>, table: Readonly<Record<string, unknown>>): Record<string, string> {
  const order = Object.keys(table);
  const at = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return Object.fromEntries(Object.entries(attrs).map((e, i) => ({ e, i })).sort((a, b) => at(a.e[0]) - at(b.e[0]) || a.i - b.i).map((x) => x.e));
}

function inLibvirtOrder(style: Style, nodes: readonly (ElementSpec | XmlNode)[]): (ElementSpec | XmlNode)[] {
  const rank = (n: ElementSpec | XmlNode): number | null => {
    if (!('nodeType' in n)) return STYLE_TABLE[style].children.findIndex((c) => c.name === n.name);
    if (!isElement(n) || n.namespaceURI || !isKnownChild(n.localName)) return null;
    const r = childRank(style, n);
    return r < STYLE_TABLE[style].children.length ? r : null;
  };
  const ranks = nodes.map((n) => {
    if (!('nodeType' in n) || isElement(n)) return rank(n);
    // a comment goes just before the element that followed it where it was written
    for (let next = n.nextSibling; next; next = next.nextSibling) {
      const r = isElement(next) ? rank(next) : null;
      if (r !== null) return r - 0.5;
    }
    return null;
  });
  // what has no rank yet stays after the node before it
  for (let i = 0, previous = -1; i < ranks.length; i++) {
    if (ranks[i] === null) ranks[i] = previous;
    else previous = ranks[i]!;
  }
  return nodes.map((n, i) => ({ n, r: ranks[i]!, i })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.n);
}
