/**
 * The PCI devices a domain XML names, read in one streaming pass without building a DOM: who
 * holds which VF needs only this of every defined domain, and `status` reads hundreds of them
 * (a DOM per domain was most of its time). It finds what DomainXml.pciSources finds, by the
 * same rules (devices/hostdev.ts, devices/interface-hostdev.ts): the first <source><address>
 * of each <hostdev type='pci'> and <interface type='hostdev'> in the domain's first <devices>.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { PciAddress } from '../model/pci-address.js';
import { pciSourceFrom } from './devices/common.js';
import { isPciHostdev } from './devices/hostdev.js';
import { isHostdevInterface } from './devices/interface-hostdev.js';
import type { ElementHead } from './dom.js';

export interface ScannedPciSource {
  readonly address: PciAddress;
  readonly style: 'hostdev' | 'interface';
}

/**
 * Throws where the DOM parser would refuse the text (not well-formed, a DOCTYPE, an unbound
 * prefix); a document whose root is not a libvirt <domain> names nothing.
 */
export function scanPciSources(text: string): ScannedPciSource[] {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const found: ScannedPciSource[] = [];
  // depth 1 is the root; 2 its children (<devices>); 3 a device; 4 its <source>; 5 <address>
  let depth = 0;
  let notDomain = false;
  let devicesSeen = false;
  let inDevices = false;
  let device: ElementHead | null = null;
  let sourceSeen = false;
  let inSource = false;
  let address: SaxesTagNS['attributes'] | null = null;

  parser.on('doctype', () => {
    throw new Error('a DOCTYPE declaration is not allowed');
  });
  parser.on('opentag', (tag) => {
    depth++;
    if (notDomain) return;
    const plain = !tag.uri; // libvirt's own elements have no namespace; <metadata>'s children do
    if (depth === 1) {
      notDomain = tag.local !== 'domain' || !plain;
    } else if (depth === 2) {
      inDevices = !devicesSeen && plain && tag.local === 'devices';
      if (inDevices) devicesSeen = true;
    } else if (depth === 3 && inDevices) {
      const attributes = tag.attributes;
      device = { localName: tag.local, getAttribute: (n) => attributes[n]?.value ?? null };
      sourceSeen = false;
      address = null;
    } else if (depth === 4 && device) {
      inSource = !sourceSeen && plain && tag.local === 'source';
      if (inSource) sourceSeen = true;
    } else if (depth === 5 && inSource && address === null && plain && tag.local === 'address') {
      address = tag.attributes;
    }
  });
  parser.on('closetag', () => {
    if (depth === 3 && device) {
      const style = isPciHostdev(device) ? 'hostdev' : isHostdevInterface(device) ? 'interface' : null;
      const attributes = address;
      const pci = style && attributes ? pciSourceFrom((n) => attributes[n]?.value ?? null) : null;
      if (style && pci) found.push({ address: pci, style });
      device = null;
    } else if (depth === 4) {
      inSource = false;
    } else if (depth === 2) {
      inDevices = false;
    }
    depth--;
  });
  parser.write(text).close();
  return notDomain ? [] : found;
}
