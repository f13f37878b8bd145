/**
 * libvirt network XML: reading a hostdev network (what the network hook gets as hookData) and
 * writing one from the template.
 */
import { InputError } from '../errors.js';
import { pciAddressFromAttributes, type PciAddress } from '../model/pci-address.js';
import type { Vlan } from '../model/vf-settings.js';
import { child, childElements, textOf, type XmlElement } from './dom.js';
import { build, insertElement } from './edit.js';
import { parseXml, readXml } from './document.js';
import { serializeXml } from './serialize.js';
import { readMac, readVlan } from './devices/common.js';

export interface HostdevNetwork {
  readonly name: string;
  /** <forward mode='hostdev'>: a pool of VFs. */
  readonly hostdev: boolean;
  /** The PF named by <pf dev='...'/>, if any. */
  readonly pf: string | null;
  /** The VFs libvirt expanded the PF into (present once the network runs). */
  readonly vfs: PciAddress[];
  readonly vlan: Vlan | undefined;
}

/** The port a guest's interface holds on a network (network hook port-created/port-deleted). */
export interface NetworkPort {
  readonly uuid: string | null;
  readonly owner: { readonly name: string | null; readonly uuid: string | null };
  readonly mac: string | undefined;
  readonly vlan: Vlan | undefined;
  /** The VF libvirt picked for it: <plug type='hostdev-pci'>. */
  readonly vf: PciAddress | null;
}

export interface HookData {
  readonly network: HostdevNetwork;
  readonly port: NetworkPort | null;
}

export function readNetwork(el: XmlElement, what: string): HostdevNetwork {
  const name = textOf(child(el, 'name'));
  if (!name) throw new InputError(`${what}: the network has no <name>`, 'add <name>NAME</name>');
  const forward = child(el, 'forward');
  const where = `network ${name}`;
  return {
    name,
    hostdev: forward?.getAttribute('mode') === 'hostdev',
    pf: (forward && child(forward, 'pf')?.getAttribute('dev')) ?? null,
    vfs: forward ? childElements(forward, 'address').map((a) => pciAddressFromAttributes((n) => a.getAttribute(n), where)) : [],
    vlan: readVlan(el, where),
  };
}

export function parseNetworkXml(text: string, what: string): HostdevNetwork {
  const { root } = readXml(text, what);
  if (root.localName !== 'network') {
    throw new InputError(`${what}: not a network XML (the root element is <${root.tagName}>)`, 'give the XML of a libvirt network');
  }
  return readNetwork(root, what);
}

/** What libvirt gives a network hook on stdin: <hookData><network/>[<networkport/>]</hookData>. */
export function parseHookData(text: string, what: string): HookData {
  const { root } = readXml(text, what);
  const net = root.localName === 'hookData' ? child(root, 'network') : root.localName === 'network' ? root : null;
  if (!net) throw new InputError(`${what}: expected <hookData><network>...</network></hookData>`, 'this is what libvirt passes to the network hook');
  const portEl = root.localName === 'hookData' ? child(root, 'networkport') : null;
  return { network: readNetwork(net, what), port: portEl ? readPort(portEl, what) : null };
}

function readPort(el: XmlElement, what: string): NetworkPort {
  const plug = child(el, 'plug');
  const address = plug?.getAttribute('type') === 'hostdev-pci' ? child(plug, 'address') : null;
  return {
    uuid: textOf(child(el, 'uuid')),
    owner: { name: textOf(child(el, 'owner', 'name')), uuid: textOf(child(el, 'owner', 'uuid')) },
    mac: readMac(el),
    vlan: readVlan(el, `${what}: network port`),
    vf: address ? pciAddressFromAttributes((n) => address.getAttribute(n), `${what}: network port`) : null,
  };
}

/** A hostdev network's XML, from the template, ready for `virsh net-define`. */
export function renderHostdevNetwork(template: string, o: { name: string; pf: string; vlan?: Vlan }): string {
  const parsed = parseXml(template, 'template hostdev-network.xml');
  const root = parsed.root;
  const name = child(root, 'name');
  const pf = child(root, 'forward', 'pf');
  if (!name || !pf) throw new InputError('template hostdev-network.xml: needs <name> and <forward><pf/></forward>', 'restore the template from the virt-sriov package');
  name.textContent = o.name;
  pf.setAttribute('dev', o.pf);
  if (o.vlan) {
    const vlan = build(root.ownerDocument, { name: 'vlan', children: [{ name: 'tag', attrs: { id: String(o.vlan.id) } }] }, '  ');
    insertElement(root, vlan, null);
  }
  return serializeXml(parsed);
}
