/** Style 3: <interface type='network'> on a hostdev network (<forward mode='hostdev'>): a VF from a pool. */
import { InputError } from '../../errors.js';
import { build, child, type XmlDocument, type XmlElement } from '../dom.js';
import { macSpec, otherChildren, readMac, readVlan, vlanSpec } from './common.js';
import type { DeviceFields } from './device-fields.js';

const OWN = ['mac', 'source', 'vlan'];

export function isNetworkInterface(el: XmlElement): boolean {
  return el.localName === 'interface' && el.getAttribute('type') === 'network';
}

export function networkOf(el: XmlElement): string | null {
  return child(el, 'source')?.getAttribute('network') ?? null;
}

export function readNetworkInterface(el: XmlElement, where: string): DeviceFields {
  const network = networkOf(el);
  if (!network) throw new InputError(`${where}: <interface type='network'> has no <source network='...'/>`, 'name the network');
  return {
    network,
    portgroup: child(el, 'source')?.getAttribute('portgroup') ?? undefined,
    mac: readMac(el),
    vlan: readVlan(el, where),
    carried: otherChildren(el, OWN),
  };
}

export function buildNetworkInterface(doc: XmlDocument, f: DeviceFields, indent: string | null): XmlElement {
  if (!f.network) throw new Error('buildNetworkInterface needs a network');
  return build(doc, {
    name: 'interface',
    attrs: { type: 'network' },
    children: [
      ...macSpec(f.mac), { name: 'source', attrs: { network: f.network, portgroup: f.portgroup } }, ...vlanSpec(f.vlan), ...f.carried,
    ],
  }, indent);
}

export function networkInterfaceLabel(f: DeviceFields): string {
  return `interface ${f.mac ?? `on network ${f.network}`}`;
}
