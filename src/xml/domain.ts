/**
 * A libvirt domain XML document and its SR-IOV devices in all three styles. The document is
 * edited in place, so whatever virt-sriov does not touch is written back as it was read.
 */
import { InputError } from '../errors.js';
import { formatPciAddress, type PciAddress } from '../model/pci-address.js';
import { compact, describeSetting, formatSetting, validateSettings, type VfSettings } from '../model/vf-settings.js';
import { child, childElements, textOf, type XmlElement } from './dom.js';
import { parseXml, readXml, type ParsedXml } from './document.js';
import { serializeXml } from './serialize.js';
import { SriovMetadata, describeKey, keyId, type MetadataEntry, type MetadataKey } from './metadata.js';
import { pciSourceFrom } from './devices/common.js';
import type { DeviceFields, Style } from './devices/device-fields.js';
import { hostdevLabel, isPciHostdev, readHostdev } from './devices/hostdev.js';
import { hostdevInterfaceLabel, isHostdevInterface, readHostdevInterface } from './devices/interface-hostdev.js';
import { isNetworkInterface, networkInterfaceLabel, networkOf, readNetworkInterface } from './devices/interface-network.js';
import { isFailoverStandby } from './devices/teaming.js';

/** What the XML alone can't tell: which PCI devices are VFs, which networks are VF pools. */
export interface DeviceContext {
  isVf(address: PciAddress): boolean;
  isHostdevNetwork(name: string): boolean;
}

export interface SriovDevice {
  readonly style: Style;
  readonly element: XmlElement;
  readonly fields: DeviceFields;
  /** The metadata entry that holds its other settings, if any. */
  readonly entry: MetadataEntry | undefined;
  /** Everything asked of the VF: <mac>/<vlan> from the XML and the rest from metadata. */
  readonly settings: VfSettings;
  /** How an admin names it: "hostdev 0000:01:10.2", "interface 52:54:00:aa:00:01". */
  readonly label: string;
}

export class DomainXml {
  private sriovMetadata: SriovMetadata | undefined;

  private constructor(private readonly parsed: ParsedXml, readonly name: string) {}

  static parse(text: string, what: string): DomainXml {
    return DomainXml.of(parseXml(text, what), what);
  }

  /** The domain for reading what it holds (a hook's): cheaper than parse, not to be written back. */
  static read(text: string, what: string): DomainXml {
    return DomainXml.of(readXml(text, what), what);
  }

  private static of(parsed: ParsedXml, what: string): DomainXml {
    if (parsed.root.localName !== 'domain' || parsed.root.namespaceURI) {
      const ns = parsed.root.namespaceURI ? ` in namespace ${parsed.root.namespaceURI}` : '';
      throw new InputError(`${what}: not a domain XML (the root element is <${parsed.root.tagName}>${ns})`,
        'give the XML of a libvirt domain, as `virsh dumpxml NAME` prints it');
    }
    const name = textOf(child(parsed.root, 'name'));
    if (!name) throw new InputError(`${what}: the domain has no <name>`, 'add <name>NAME</name>');
    return new DomainXml(parsed, name);
  }

  get root(): XmlElement {
    return this.parsed.root;
  }

  get uuid(): string | null {
    return textOf(child(this.root, 'uuid'));
  }

  get metadata(): SriovMetadata {
    return (this.sriovMetadata ??= new SriovMetadata(this.root, this.name));
  }

  /** Every SR-IOV device, in document order, with its settings validated and merged. */
  sriovDevices(ctx: DeviceContext): SriovDevice[] {
    const devices = child(this.root, 'devices');
    if (!devices) return [];
    // by key: a domain with 64 VFs has 64 entries, and each device looks for its own
    const entries = new Map(this.metadata.entries().map((e) => [keyId(e.key), e]));
    const found: SriovDevice[] = [];
    for (const el of childElements(devices)) {
      const style = styleOf(el, entries, ctx);
      if (style) found.push(this.readDevice(el, style, entries));
    }
    return found;
  }

  /**
   * The devices `virt-sriov migrate` plugs in after this incoming migration (metadata.ts's
   * <sriov:arriving>), read as sriovDevices reads the domain's own, settings and all.
   */
  arrivingDevices(ctx: DeviceContext): SriovDevice[] {
    const entries = new Map(this.metadata.entries().map((e) => [keyId(e.key), e]));
    return this.metadata.arriving().flatMap((el) => {
      const style = styleOf(el, entries, ctx);
      return style ? [this.readDevice(el, style, entries)] : [];
    });
  }

  /** The PCI source address of every <hostdev type='pci'> and <interface type='hostdev'>, VF or not. */
  pciSources(): { address: PciAddress; label: string; element: XmlElement }[] {
    const devices = child(this.root, 'devices');
    if (!devices) return [];
    // the same rules as device-scan.ts, which reads the same without a DOM
    return childElements(devices).flatMap((el) => {
      if (!isPciHostdev(el) && !isHostdevInterface(el)) return [];
      const source = child(el, 'source', 'address');
      const address = source && pciSourceFrom((n) => source.getAttribute(n));
      if (!address) return [];
      return [{ address, label: `${isPciHostdev(el) ? 'hostdev' : 'interface'} ${formatPciAddress(address)}`, element: el }];
    });
  }

  /** Metadata entries that no device of the domain answers to: a typo, or a device removed. */
  orphanEntries(devices: readonly SriovDevice[]): MetadataEntry[] {
    const answered = new Set(devices.flatMap((d) => (d.entry ? [keyId(d.entry.key)] : [])));
    return this.metadata.entries().filter((e) => !answered.has(keyId(e.key)));
  }

  toString(): string {
    return serializeXml(this.parsed);
  }

  private readDevice(el: XmlElement, style: Style, entries: EntriesByKey): SriovDevice {
    const where = `domain ${this.name}`;
    const fields = style === 'hostdev' ? readHostdev(el, where)
      : style === 'interface' ? readHostdevInterface(el, where)
        : readNetworkInterface(el, where);
    const label = style === 'hostdev' ? hostdevLabel(fields)
      : style === 'interface' ? hostdevInterfaceLabel(fields)
        : networkInterfaceLabel(fields);
    const matching = candidateKeys(fields).flatMap((k) => entries.get(keyId(k)) ?? []);
    if (matching.length > 1) {
      throw new InputError(`domain ${this.name}, ${label}: virt-sriov metadata has entries for both ${matching.map((e) => describeKey(e.key)).join(' and ')}`,
        'keep one entry per device');
    }
    const entry = matching[0];
    // the XML's <mac> and <vlan> are checked as the metadata is: libvirt takes <tag id='4095'/>, a VF does not
    const settings = validateSettings(merge(fields, entry, `domain ${this.name}, ${label}`), `domain ${this.name}, ${label}`);
    return { style, element: el, fields, entry, label, settings };
  }
}

type EntriesByKey = ReadonlyMap<string, MetadataEntry>;

function styleOf(el: XmlElement, entries: EntriesByKey, ctx: DeviceContext): Style | null {
  if (isHostdevInterface(el)) return 'interface';
  if (isPciHostdev(el)) {
    const vf = readPciSource(el);
    return vf && (ctx.isVf(vf) || entries.has(keyId({ pci: vf }))) ? 'hostdev' : null;
  }
  if (isNetworkInterface(el)) {
    const network = networkOf(el);
    const mac = child(el, 'mac')?.getAttribute('address')?.toLowerCase();
    // a failover pair's standby shares its VF's MAC: metadata keyed by that MAC is the VF's
    const named = mac !== undefined && entries.has(keyId({ mac })) && !isFailoverStandby(el);
    return network && (ctx.isHostdevNetwork(network) || named) ? 'network' : null;
  }
  return null;
}

function readPciSource(el: XmlElement): PciAddress | null {
  try {
    return (isPciHostdev(el) ? readHostdev(el, '') : readHostdevInterface(el, '')).vf ?? null;
  } catch {
    return null; // not ours to judge: a PCI hostdev we can't read is left alone
  }
}

/** The keys a device's metadata entry may have: its MAC if it has one, its VF address if pinned. */
export function candidateKeys(f: DeviceFields): MetadataKey[] {
  const keys: MetadataKey[] = [];
  if (f.mac) keys.push({ mac: f.mac });
  if (f.vf) keys.push({ pci: f.vf });
  return keys;
}

function merge(f: DeviceFields, entry: MetadataEntry | undefined, where: string): VfSettings {
  const fromXml = compact({ mac: f.mac, vlan: f.vlan });
  const fromMetadata = entry?.settings ?? {};
  for (const key of ['mac', 'vlan'] as const) {
    const a = formatSetting(key, fromXml);
    const b = formatSetting(key, fromMetadata);
    // metadata may add a QoS to the XML's tag (libvirt's <vlan> has no QoS)
    const refines = key === 'vlan' && fromXml.vlan?.id === fromMetadata.vlan?.id && fromXml.vlan?.qos === undefined;
    if (a !== undefined && b !== undefined && a !== b && !refines) {
      throw new InputError(`${where}: ${describeSetting(key)} is ${a} in the XML but ${b} in virt-sriov metadata`,
        `keep the ${describeSetting(key)} in one place`);
    }
  }
  return compact({ ...fromMetadata, ...fromXml, vlan: fromMetadata.vlan ?? fromXml.vlan });
}

export function describeDevice(d: SriovDevice): string {
  return d.fields.vf ? `${d.label} (VF ${formatPciAddress(d.fields.vf)})` : d.label;
}
