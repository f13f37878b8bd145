/**
 * The PCI devices a domain XML names, read in one pass of the markup tokenizer (markup.ts),
 * without building a DOM: who holds which VF needs only this of every defined domain, and `status` reads hundreds of
 * them (a DOM per domain was most of its time, and saxes, a parser in JS char by char, still
 * ~5x this). It finds what DomainXml.pciSources finds, by the same rules
 * (devices/hostdev.ts, devices/interface-hostdev.ts): the first <source><address> of each
 * <hostdev type='pci'> and <interface type='hostdev'> in the domain's first <devices>, with
 * the device's <mac address> and <alias name> (what an admin knows the guest's NIC by).
 */
import type { PciAddress } from '../model/pci-address.js';
import { pciSourceFrom } from './devices/common.js';
import { isPciHostdev } from './devices/hostdev.js';
import { isHostdevInterface } from './devices/interface-hostdev.js';
import type { ElementHead } from './dom.js';
import { ATTRIBUTE, MARKUP_TOKEN } from './markup.js';
import { declare, resolveName, TOP_SCOPE, type Scope } from './names.js';

export interface ScannedPciSource {
  readonly address: PciAddress;
  readonly style: 'hostdev' | 'interface';
  /** The interface's <mac address> (a <hostdev> has none), lower case. */
  readonly mac: string | null;
  /** The device's <alias name> (libvirt's in a live XML, `ua-*` an admin's own). */
  readonly alias: string | null;
}

const ENTITY = /&(?:(lt|gt|amp|apos|quot)|#([0-9]+)|#x([0-9a-fA-F]+));/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/**
 * Throws where the DOM parser would refuse the text: a DOCTYPE, markup that is no markup, an
 * unquoted attribute, unbalanced tags, a second root. A document whose root is not a libvirt
 * <domain> names nothing. Not a validating parser: what it reads, libvirt wrote.
 *
 * A text that can't name a PCI device is not read at all: both kinds of device need the word
 * `hostdev` in it (<hostdev>, type='hostdev'), unless a character reference spells it. Most
 * domains have no such device, and the scan runs once, in cold code, over every domain.
 */
export function scanPciSources(text: string): ScannedPciSource[] {
  if (!text.includes('hostdev') && !text.includes('&#')) return [];
  const found: ScannedPciSource[] = [];
  const open: string[] = []; // names of the open elements; open.length is the depth
  const scopes: Scope[] = [TOP_SCOPE];
  let rootClosed = false;
  let notDomain = false;
  let devicesSeen = false;
  let inDevices = false;
  let device: ElementHead | null = null;
  let sourceSeen = false;
  let inSource = false;
  let address: Map<string, string> | null = null;
  let mac: string | null = null;
  let alias: string | null = null;

  const close = () => {
    const depth = open.length;
    if (depth === 3 && device) {
      const style = isPciHostdev(device) ? 'hostdev' : isHostdevInterface(device) ? 'interface' : null;
      const attributes = address;
      const pci = style && attributes ? pciSourceFrom((n) => attributes.get(n) ?? null) : null;
      if (style && pci) found.push({ address: pci, style, mac, alias });
      device = null;
    } else if (depth === 4) {
      inSource = false;
    } else if (depth === 2) {
      inDevices = false;
    }
    open.pop();
    scopes.pop();
    if (open.length === 0) rootClosed = true;
  };

  MARKUP_TOKEN.lastIndex = 0;
  for (let m = MARKUP_TOKEN.exec(text); m; m = MARKUP_TOKEN.exec(text)) {
    // by index, not destructured (an iterator per token), and names resolved only where a
    // namespace is in play: this loop runs cold, so every step per tag counts
    const name = m[2];
    const endName = m[1];
    if (name !== undefined) {
      const rawAttributes = m[3]!;
      if (rootClosed) throw new Error(`<${name}> after the root element`);
      const parent = scopes[scopes.length - 1]!;
      const wanted: boolean = !notDomain && (open.length === 2 && inDevices || open.length === 4 && inSource && address === null
        || open.length === 3 && device !== null && (name === 'mac' || name === 'alias'));
      const declares = rawAttributes.includes('xmlns');
      const attributes: Map<string, string> | null = wanted || declares ? attributesOf(rawAttributes) : null;
      let scope: Scope = parent;
      if (declares) for (const [n, v] of attributes!) scope = declare(scope, n, v);
      let local = name;
      let plain = scope.default === ''; // libvirt's own elements have no namespace; <metadata>'s children do
      if (!plain || name.includes(':')) {
        const resolved = resolveName(scope, name);
        local = resolved.local;
        plain = resolved.ns === null;
      }
      open.push(name);
      scopes.push(scope);
      const depth = open.length;
      if (notDomain) {
        // nothing to find, but the rest is still checked
      } else if (depth === 1) {
        notDomain = local !== 'domain' || !plain;
      } else if (depth === 2) {
        inDevices = !devicesSeen && plain && local === 'devices';
        if (inDevices) devicesSeen = true;
      } else if (depth === 3 && inDevices) {
        device = { localName: local, getAttribute: (n) => attributes!.get(n) ?? null };
        sourceSeen = false;
        address = null;
        mac = null;
        alias = null;
      } else if (depth === 4 && device) {
        inSource = !sourceSeen && plain && local === 'source';
        if (inSource) sourceSeen = true;
        else if (plain && local === 'mac' && mac === null) mac = attributes?.get('address')?.toLowerCase() ?? null;
        else if (plain && local === 'alias' && alias === null) alias = attributes?.get('name') ?? null;
      } else if (depth === 5 && inSource && address === null && plain && local === 'address') {
        address = attributes;
      }
      if (m[4]) close();
    } else if (endName !== undefined) {
      if (open[open.length - 1] !== endName) throw new Error(`</${endName}> closes no open <${endName}>`);
      close();
    } else if (m[0] === '<') {
      throw new Error(/^<!DOCTYPE/.test(text.slice(m.index)) ? 'a DOCTYPE declaration is not allowed' : 'malformed markup');
    }
  }
  if (open.length) throw new Error(`<${open[open.length - 1]}> is not closed`);
  if (!rootClosed) throw new Error('no root element');
  return notDomain ? [] : found;
}

function attributesOf(raw: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const [, name, single, double] of raw.matchAll(ATTRIBUTE)) {
    if (!attributes.has(name!)) attributes.set(name!, decode(single ?? double!));
  }
  return attributes;
}

function decode(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(ENTITY, (_, named: string | undefined, dec: string | undefined, hex: string | undefined) =>
    (named ? NAMED[named]! : String.fromCodePoint(dec ? parseInt(dec, 10) : parseInt(hex!, 16))));
}
