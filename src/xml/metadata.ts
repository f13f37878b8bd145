/**
 * virt-sriov's part of a domain's <metadata>: the VF settings that the device's own XML can't
 * hold. libvirt keeps one element per namespace under <metadata> and hands it to every hook, so
 * this is how a setting travels from `virt-sriov convert`/`attach` to the `start` hook.
 *
 *   <metadata>
 *     <sriov:vfs xmlns:sriov="http://virt-sriov.org/xmlns/domain/1.0">
 *       <sriov:vf pci="0000:01:10.2" mac="de:ad:fe:ed:ff:01" vlan="403" trust="on"/>
 *       <sriov:vf interface-mac="52:54:00:aa:00:01" spoofchk="off" max-tx-rate="100"/>
 *     </sriov:vfs>
 *   </metadata>
 *
 * An entry is keyed by the VF's PCI address (a <hostdev>, or an interface without a MAC) or by
 * the interface's MAC (the only stable name a network-style interface has before it starts).
 *
 * An entry may also keep the parts of the device that its present style can't hold (a <hostdev>
 * has no <virtualport>, a network-style interface no VF of its own), so that `convert` brings
 * them back when the device returns to a style that holds them (devices/style-table.ts):
 *
 *       <sriov:vf pci="0000:06:12.5">
 *         <sriov:kept generated-mac="52:54:00:3e:1f:07">
 *           <device managed="no"><source network="sriov" portgroup="vlan-42"/><virtualport type="802.1Qbh"/></device>
 *         </sriov:kept>
 *       </sriov:vf>
 *
 * `generated-mac`: the device had no MAC until `convert` gave it this one (network style needs one).
 * `default-managed`: `convert` wrote managed='yes' when it pinned the pool's VF; it goes on the way back.
 *
 * In the XML `virt-sriov migrate` sends to the destination, a device that it unplugged here and
 * plugs in there once the guest runs there, as it will be plugged in (on the destination's VF):
 *
 *       <sriov:arriving><hostdev mode="subsystem" type="pci" managed="yes">...</hostdev></sriov:arriving>
 *
 * The destination's `prepare` hook readies that VF (claimed, every setting on it and read back)
 * before QEMU runs there, so the VF carries the guest's settings before the guest sees it.
 */
import { InputError, isVirtSriovError } from '../errors.js';
import {
  formatPciAddress, parsePciAddress, pciAddressAttributes, pciAddressFromAttributes, samePciAddress, type PciAddress,
} from '../model/pci-address.js';
import { normalizeMac } from '../model/mac.js';
import { compact, formatSetting, isEmpty, validateSettings, type LinkState, type SettingName, type VfSettings } from '../model/vf-settings.js';
import { parseInteger, parseOnOff, parseVlan } from '../model/admin-values.js';
import { childElements, child, isElement, TEXT_NODE, type XmlElement, type XmlNode } from './dom.js';
import { build, childIndentOf, insertElement, removeElement, replaceElement, type ElementSpec } from './edit.js';
import type { DeviceParts } from './devices/device-fields.js';
import { serializeElement } from './serialize.js';

export const SRIOV_NS = 'http://virt-sriov.org/xmlns/domain/1.0';
const PREFIX = 'sriov';
const ARRIVING = 'arriving';

export type MetadataKey = { readonly pci: PciAddress } | { readonly mac: string };

export interface MetadataEntry {
  readonly key: MetadataKey;
  readonly settings: VfSettings;
  /** Parts of the device its present style can't hold, for the way back. */
  readonly kept?: KeptParts;
}

export interface KeptParts extends DeviceParts {
  /** The VF a pinned device had, or the pool a network-style one was on. */
  readonly vf?: PciAddress;
  readonly network?: string;
  /** The MAC `convert` gave a device that had none (network style needs one); gone again in a <hostdev>. */
  readonly generatedMac?: string;
  /** `convert` wrote managed='yes' on pinning a VF from a pool: it goes again when the device returns. */
  readonly defaultManaged?: boolean;
}

export function isEmptyKept(k: KeptParts | undefined): boolean {
  return !k || (!k.vf && !k.network && !k.generatedMac && !k.defaultManaged && !k.children.length
    && !Object.keys(k.attributes).length && !Object.keys(k.sourceAttributes).length);
}

/** Setting -> attribute name. vlan and qos share the `vlan` setting. */
const ATTRIBUTE: Record<Exclude<SettingName, 'vlan'>, string> = {
  mac: 'mac', trust: 'trust', spoofchk: 'spoofchk', linkState: 'link-state',
  minTxRate: 'min-tx-rate', maxTxRate: 'max-tx-rate', queryRss: 'query-rss',
};
const KNOWN_ATTRIBUTES = new Set(['pci', 'interface-mac', 'vlan', 'qos', ...Object.values(ATTRIBUTE)]);

export function describeKey(key: MetadataKey): string {
  return 'pci' in key ? `VF ${formatPciAddress(key.pci)}` : `interface ${key.mac}`;
}

/** A key as a string, equal exactly when sameKey is true: for maps, where a domain has many devices. */
export function keyId(key: MetadataKey): string {
  return 'pci' in key ? `pci ${formatPciAddress(key.pci)}` : `mac ${key.mac}`;
}

export function sameKey(a: MetadataKey, b: MetadataKey): boolean {
  if ('pci' in a && 'pci' in b) return samePciAddress(a.pci, b.pci);
  if ('mac' in a && 'mac' in b) return a.mac === b.mac;
  return false;
}

/** The key each entry element was read with (null: malformed); elements are replaced, never edited, so it holds. */
const elementKeys = new WeakMap<XmlElement, string | null>();

/**
 * The <sriov:vfs> element of a domain, created on first write. Keep one per document (as
 * DomainXml does): it remembers what it read until its own next write, since a conversion
 * asks once per device.
 */
export class SriovMetadata {
  private read: MetadataEntry[] | undefined;
  /** Entry elements by key (keyId), kept as put changes them; none while two share a key. */
  private index: Map<string, XmlElement> | undefined;

  constructor(private readonly domain: XmlElement, private readonly domainName: string) {}

  /** Every entry, validated. A bad entry is an error that names it: the hook must not guess. */
  entries(): MetadataEntry[] {
    return (this.read ??= this.readEntries()).slice();
  }

  private readEntries(): MetadataEntry[] {
    const container = this.container();
    if (!container) return [];
    const entries: MetadataEntry[] = [];
    const seen = new Set<string>();
    for (const el of childElements(container)) {
      if (el.namespaceURI !== SRIOV_NS || el.localName === ARRIVING) continue;
      if (el.localName !== 'vf') {
        throw new InputError(`domain ${this.domainName}: unknown element <${el.tagName}> in virt-sriov metadata`,
          `only <${PREFIX}:vf .../> entries belong under <${PREFIX}:vfs>`);
      }
      const entry = this.readEntry(el);
      const id = keyId(entry.key);
      if (seen.has(id)) {
        throw new InputError(`domain ${this.domainName}: two virt-sriov metadata entries for ${describeKey(entry.key)}`,
          'merge them into one <sriov:vf> entry');
      }
      seen.add(id);
      entries.push(entry);
    }
    return entries;
  }

  find(key: MetadataKey): MetadataEntry | undefined {
    return this.entries().find((e) => sameKey(e.key, key));
  }

  /**
   * Set the entry for `key` (replacing the one keyed `previous ?? key`, in place), or remove
   * it when the settings are empty. The container goes when its last entry does.
   */
  put(key: MetadataKey, settings: VfSettings, previous: MetadataKey = key, kept?: KeptParts): void {
    this.read = undefined;
    const old = this.entryElement(previous) ?? this.entryElement(key);
    if (old) this.index?.delete(keyOfElement(old)!);
    if (isEmpty(settings) && isEmptyKept(kept)) {
      if (old) removeElement(old);
      this.dropIfEmpty();
      return;
    }
    const container = this.container() ?? this.createContainer();
    const el = build(container.ownerDocument, {
      name: `${PREFIX}:vf`, ns: SRIOV_NS, attrs: entryAttributes(key, settings),
      children: isEmptyKept(kept) ? [] : [keptSpec(kept!)],
    }, isEmptyKept(kept) ? null : childIndentOf(container));
    if (old) replaceElement(old, el);
    else insertElement(container, el, null);
    const id = keyId(key);
    elementKeys.set(el, id);
    if (this.index?.has(id)) this.index = undefined; // now two share a key: entries() says so
    else this.index?.set(id, el);
  }

  private readEntry(el: XmlElement): MetadataEntry {
    for (const { name } of Array.from(el.attributes)) {
      if (!KNOWN_ATTRIBUTES.has(name) && !name.startsWith('xmlns')) {
        throw new InputError(`domain ${this.domainName}: unknown attribute '${name}' on a virt-sriov metadata entry`,
          `known attributes: ${[...KNOWN_ATTRIBUTES].join(', ')}`);
      }
    }
    const pci = el.getAttribute('pci');
    const imac = el.getAttribute('interface-mac');
    if ((pci === null) === (imac === null)) {
      throw new InputError(`domain ${this.domainName}: a virt-sriov metadata entry needs exactly one of pci='...' or interface-mac='...'`,
        'key the entry by the VF\'s PCI address (for a <hostdev>) or by the interface\'s MAC');
    }
    const key: MetadataKey = named(`domain ${this.domainName}, metadata entry`,
      () => (pci !== null ? { pci: parsePciAddress(pci) } : { mac: normalizeMac(imac!) }));
    const where = `domain ${this.domainName}, metadata for ${describeKey(key)}`;
    if ('mac' in key) validateSettings({ mac: key.mac }, where);
    const attr = (name: string) => el.getAttribute(name) ?? undefined;
    const vlanText = attr('vlan');
    const qosText = attr('qos');
    if (qosText !== undefined && vlanText === undefined) {
      throw new InputError(`${where}: qos='${qosText}' without a vlan`, 'QoS is the priority of a VLAN tag: give vlan=\'N\' too');
    }
    const settings = named(where, () => compact({
      mac: map(attr(ATTRIBUTE.mac), normalizeMac),
      vlan: vlanText === undefined ? undefined
        : parseVlan(qosText === undefined ? vlanText : `${vlanText}:${qosText}`, `${where}: vlan`),
      trust: map(attr(ATTRIBUTE.trust), (v) => parseOnOff(v, 'trust')),
      spoofchk: map(attr(ATTRIBUTE.spoofchk), (v) => parseOnOff(v, 'spoofchk')),
      linkState: map(attr(ATTRIBUTE.linkState), (v) => v as LinkState),
      minTxRate: map(attr(ATTRIBUTE.minTxRate), (v) => parseInteger(v, 'min-tx-rate')),
      maxTxRate: map(attr(ATTRIBUTE.maxTxRate), (v) => parseInteger(v, 'max-tx-rate')),
      queryRss: map(attr(ATTRIBUTE.queryRss), (v) => parseOnOff(v, 'query-rss')),
    }));
    const keptEl = childElements(el).find((c) => c.namespaceURI === SRIOV_NS && c.localName === 'kept');
    const kept = keptEl ? named(where, () => readKept(keptEl)) : undefined;
    return { key, settings: validateSettings(settings, where), ...(kept ? { kept } : {}) };
  }

  /** The devices that arrive by hot-plug after an incoming migration (see the comment at the top). */
  arriving(): XmlElement[] {
    return this.arrivingElements().flatMap((a) => childElements(a).slice(0, 1));
  }

  /** Replace the arriving devices with copies of these (none: they all go). */
  setArriving(devices: readonly XmlElement[]): void {
    for (const el of this.arrivingElements()) removeElement(el);
    if (devices.length === 0) {
      this.dropIfEmpty();
      return;
    }
    const container = this.container() ?? this.createContainer();
    for (const device of devices) {
      insertElement(container, build(container.ownerDocument, { name: `${PREFIX}:${ARRIVING}`, ns: SRIOV_NS, children: [device.cloneNode(true) as XmlElement] }, null), null);
    }
  }

  /**
   * The <sriov:vfs> element as virDomainSetMetadata takes it (key PREFIX, uri SRIOV_NS), null
   * when there is none. libvirt declares the key's prefix on the root itself and refuses a root
   * that declares it already, so the text declares the namespace under a prefix of its own. What
   * libvirt gives back keeps both declarations (<sriov0:vfs xmlns:sriov0=... xmlns:sriov=...>):
   * whatever prefixes the element has for the namespace, the text has that one alone.
   */
  setMetadataText(): { readonly key: string; readonly xml: string | null } {
    const container = this.container();
    if (!container) return { key: PREFIX, xml: null };
    const own = `${PREFIX}0`;
    let text = serializeElement(container);
    const declaration = /\s+xmlns:([A-Za-z_][\w.-]*)=(["'])([^"']*)\2/g;
    const prefixes = [...text.matchAll(declaration)].filter((m) => m[3] === SRIOV_NS).map((m) => m[1]!);
    for (const p of new Set([PREFIX, ...prefixes])) text = text.replace(new RegExp(`(</?)${p.replace(/\./g, '\\.')}:`, 'g'), `$1${own}:`);
    text = text.replace(declaration, (d, _p, _q, uri) => (uri === SRIOV_NS ? '' : d));
    return { key: PREFIX, xml: text.replace(new RegExp(`^<${own}:vfs`), `<${own}:vfs xmlns:${own}="${SRIOV_NS}"`) };
  }

  private arrivingElements(): XmlElement[] {
    const container = this.container();
    return container ? childElements(container).filter((el) => el.namespaceURI === SRIOV_NS && el.localName === ARRIVING) : [];
  }

  /** The first entry element with this key, through the index: a convert puts once per device. */
  private entryElement(key: MetadataKey): XmlElement | null {
    if (!this.index) {
      const index = new Map<string, XmlElement>();
      let shared = false;
      for (const el of this.entryElements()) {
        const id = keyOfElement(el);
        if (id === null) continue;
        if (index.has(id)) shared = true;
        else index.set(id, el);
      }
      if (shared) return index.get(keyId(key)) ?? null; // first in document order, as a scan finds it
      this.index = index;
    }
    return this.index.get(keyId(key)) ?? null;
  }

  private entryElements(): XmlElement[] {
    const container = this.container();
    return container ? childElements(container).filter((el) => el.namespaceURI === SRIOV_NS && el.localName === 'vf') : [];
  }

  private metadataElement(): XmlElement | null {
    return child(this.domain, 'metadata');
  }

  private container(): XmlElement | null {
    const md = this.metadataElement();
    if (!md) return null;
    for (const el of md.childNodes) {
      if (isElement(el) && el.namespaceURI === SRIOV_NS && el.localName === 'vfs') return el;
    }
    return null;
  }

  private createContainer(): XmlElement {
    const doc = this.domain.ownerDocument;
    let md = this.metadataElement();
    if (!md) {
      md = build(doc, { name: 'metadata' }, null);
      // libvirt writes <metadata> after the domain's names and descriptions
      const anchors = ['name', 'uuid', 'genid', 'title', 'description'];
      const after = childElements(this.domain).filter((e) => anchors.includes(e.localName)).pop();
      insertElement(this.domain, md, after ? nextElement(after) : childElements(this.domain)[0] ?? null);
    }
    const container = build(doc, { name: `${PREFIX}:vfs`, ns: SRIOV_NS }, null);
    container.setAttributeNS('http://www.w3.org/2000/xmlns/', `xmlns:${PREFIX}`, SRIOV_NS);
    insertElement(md, container, null);
    return container;
  }

  private dropIfEmpty(): void {
    const container = this.container();
    if (!container || childElements(container).length) return;
    const md = container.parentNode as XmlElement;
    removeElement(container);
    if (childElements(md).length === 0) removeElement(md);
  }
}

function keyOfElement(el: XmlElement): string | null {
  if (!elementKeys.has(el)) elementKeys.set(el, elementKey(el));
  return elementKeys.get(el)!;
}

function elementKey(el: XmlElement): string | null {
  const pci = el.getAttribute('pci');
  try {
    return keyId(pci !== null ? { pci: parsePciAddress(pci) } : { mac: normalizeMac(el.getAttribute('interface-mac') ?? '') });
  } catch {
    return null; // a malformed key matches nothing; entries() reports it
  }
}

function nextElement(el: XmlElement): XmlElement | null {
  for (let n = el.nextSibling; n; n = n.nextSibling) if (isElement(n)) return n;
  return null;
}

/** Run `f`, naming the entry in an error that does not name it yet ("trust 'maybe' is neither on nor off"). */
function named<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isVirtSriovError(e, 'input') && !e.message.startsWith(where)) throw new InputError(`${where}: ${e.message}`, e.fix);
    throw e;
  }
}

function map<T>(v: string | undefined, f: (v: string) => T): T | undefined {
  return v === undefined ? undefined : f(v);
}

function entryAttributes(key: MetadataKey, s: VfSettings): Record<string, string | undefined> {
  return {
    ...('pci' in key ? { pci: formatPciAddress(key.pci) } : { 'interface-mac': key.mac }),
    mac: s.mac,
    vlan: s.vlan && String(s.vlan.id),
    qos: s.vlan?.qos === undefined ? undefined : String(s.vlan.qos),
    trust: formatSetting('trust', s),
    spoofchk: formatSetting('spoofchk', s),
    'link-state': s.linkState,
    'min-tx-rate': formatSetting('minTxRate', s),
    'max-tx-rate': formatSetting('maxTxRate', s),
    'query-rss': formatSetting('queryRss', s),
  };
}

/** <sriov:kept>: what the device's present style can't hold (see the comment at the top). */
function readKept(el: XmlElement): KeptParts {
  const device = childElements(el, 'device')[0];
  const source = device ? child(device, 'source') : null;
  const address = source ? child(source, 'address') : null;
  const attrs = (e: XmlElement | null | undefined, except: string[] = []) => {
    const out: Record<string, string> = {};
    for (const { name, value } of Array.from(e?.attributes ?? [])) if (!except.includes(name)) out[name] = value;
    return out;
  };
  return {
    vf: address ? pciAddressFromAttributes((n) => address.getAttribute(n), 'kept <source><address>') : undefined,
    network: source?.getAttribute('network') ?? undefined,
    generatedMac: map(el.getAttribute('generated-mac') ?? undefined, normalizeMac),
    defaultManaged: el.getAttribute('default-managed') === 'yes',
    attributes: attrs(device),
    sourceAttributes: attrs(source, ['network']),
    children: device ? Array.from(device.childNodes).filter((n) => n.nodeType !== TEXT_NODE && !(isElement(n) && n.localName === 'source' && !n.namespaceURI)) : [],
  };
}

function keptSpec(k: KeptParts): ElementSpec {
  const source: ElementSpec[] = k.vf || k.network || Object.keys(k.sourceAttributes).length ? [{
    name: 'source',
    attrs: { ...(k.network ? { network: k.network } : {}), ...k.sourceAttributes },
    children: k.vf ? [{ name: 'address', attrs: pciAddressAttributes(k.vf) }] : [],
  }] : [];
  const children: (ElementSpec | XmlNode)[] = [...source, ...k.children.map((n) => n.cloneNode(true))];
  return {
    name: `${PREFIX}:kept`, ns: SRIOV_NS, attrs: { 'generated-mac': k.generatedMac, 'default-managed': k.defaultManaged ? 'yes' : undefined },
    children: children.length || Object.keys(k.attributes).length ? [{ name: 'device', attrs: k.attributes, children }] : [],
  };
}
