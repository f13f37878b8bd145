/**
 * Rewrite a domain's SR-IOV devices from one assignment style to another. Each device keeps
 * its place among its siblings and every setting it had: what the new style's XML can hold
 * goes into the XML, the rest into virt-sriov's metadata, keyed so the hook finds it at start.
 */
import { InputError } from '../errors.js';
import { generateMac } from '../model/mac.js';
import { formatPciAddress, samePciAddress, type PciAddress } from '../model/pci-address.js';
import { compact, omit, type VfSettings, type Vlan } from '../model/vf-settings.js';
import { atLeast, version, type Version } from '../versions/version.js';
import { child, childElements, isElement, type XmlDocument, type XmlElement, type XmlNode } from '../xml/dom.js';
import { childIndentOf, indentOf, replaceElement } from '../xml/edit.js';
import { describeStyle, type DeviceFields, type Style } from '../xml/devices/device-fields.js';
import { holdsAttribute, holdsChild } from '../xml/devices/style-table.js';
import { forgetSourceForms } from '../xml/light-dom.js';
import { isFailoverStandby } from '../xml/devices/teaming.js';
import { buildHostdev } from '../xml/devices/hostdev.js';
import { buildHostdevInterface } from '../xml/devices/interface-hostdev.js';
import { buildNetworkInterface } from '../xml/devices/interface-network.js';
import { isEmptyKept, type KeptParts, type MetadataKey } from '../xml/metadata.js';
import type { DeviceContext, DomainXml, SriovDevice } from '../xml/domain.js';

export interface ConvertOptions {
  /** The style each device should end up in. */
  readonly target: Style | ((device: SriovDevice) => Style);
  /** The hostdev network for devices going to network style. */
  readonly network?: string;
  /** VFs to pin network-style devices to, used in order. */
  readonly vfs?: readonly PciAddress[];
  /** Whether the target libvirt takes <vlan> in the XML (>= 0.10.0); if not, VLANs go to metadata. */
  readonly vlanInXml: boolean;
  /** The libvirt the XML is for, when known: a part newer than it stays in metadata. */
  readonly libvirt?: Version;
  /** Refuse (InputError, nothing changed) rather than move a part the new style can't hold into metadata. */
  readonly strict?: boolean;
  readonly context: DeviceContext;
}

export interface Conversion {
  readonly from: Style;
  readonly to: Style;
  readonly device: string;
}

export interface ConvertResult {
  /** How many SR-IOV devices the domain has, converted or already as asked. */
  readonly devices: number;
  readonly conversions: Conversion[];
  /** Parts the new style can't hold, now in virt-sriov's metadata until the device returns: libvirt won't apply them meanwhile. */
  readonly moved: string[];
  /** What else the admin should know: generated MACs. */
  readonly warnings: string[];
  /** The --vf VFs that no device named or took. */
  readonly unusedVfs: PciAddress[];
}

export function convertDomain(domain: DomainXml, options: ConvertOptions): ConvertResult {
  const devices = domain.sriovDevices(options.context);
  const warnings: string[] = [];
  const moved: string[] = [];
  const own = (d: SriovDevice) => d.fields.vf ?? d.entry?.kept?.vf;
  const spareVfs = (options.vfs ?? []).filter((vf) => !devices.some((d) => { const v = own(d); return v && samePciAddress(v, vf); }));
  const macs = new Set(devices.flatMap((d) => (d.settings.mac ? [d.settings.mac] : [])));
  const where = (d: SriovDevice) => `domain ${domain.name}, ${d.label}`;
  const since = options.libvirt && ((v: string) => atLeast(options.libvirt!, version(v)));

  // Decide everything first: a device that can't be converted stops the whole rewrite untouched.
  const plans = devices.map((device) => {
    const to = typeof options.target === 'function' ? options.target(device) : options.target;
    const identity = identityFor(device, to, options, spareVfs, where(device));
    const plan = { device, to, ...layout(device, to, identity, options.vlanInXml, macs, warnings, where(device), since) };
    if (changes(device, to, plan.fields, plan.rest)) moved.push(...plan.moved);
    return plan;
  }).filter((p) => changes(p.device, p.to, p.fields, p.rest));
  // the hook finds a network-style or MAC'd interface's metadata by its MAC: it must name one device
  const others = otherInterfaceMacs(domain, devices);
  for (const p of plans) {
    if (p.key && 'mac' in p.key && others.has(p.key.mac)) {
      throw new InputError(`${where(p.device)}: another <interface> of the domain has its MAC ${p.key.mac}, and virt-sriov's metadata would find the device by it`,
        'give each interface its own MAC (or convert to hostdev style, whose metadata goes by the VF)');
    }
  }
  if (options.strict && moved.length) {
    throw new InputError(`domain ${domain.name}: --strict, and the new style can't hold all of it:\n  ${moved.join('\n  ')}`,
      'choose a style that holds these parts (see `virt-sriov style --table`), or leave out --strict to keep them in virt-sriov metadata');
  }

  const conversions: Conversion[] = [];
  for (const { device, to, fields, key, rest, kept } of plans) {
    replaceElement(device.element, buildElement(device.element, to, fields));
    if (key) domain.metadata.put(key, rest, device.entry?.key, kept);
    else if (device.entry) domain.metadata.put(device.entry.key, {});
    conversions.push({ from: device.style, to, device: device.label });
  }
  return { devices: devices.length, conversions, moved, warnings, unusedVfs: spareVfs };
}

/** The MACs of the domain's interfaces that are not SR-IOV devices (nor a VF's failover standby). */
function otherInterfaceMacs(domain: DomainXml, devices: readonly SriovDevice[]): Set<string> {
  const ours = new Set(devices.map((d) => d.element));
  const list = child(domain.root, 'devices');
  // a failover standby shares its VF's MAC and is never taken for it (domain.ts)
  return new Set((list ? childElements(list, 'interface') : []).filter((el) => !ours.has(el) && !isFailoverStandby(el))
    .flatMap((el) => { const mac = child(el, 'mac')?.getAttribute('address'); return mac ? [mac.toLowerCase()] : []; }));
}

interface Identity {
  readonly vf?: PciAddress;
  readonly network?: string;
}

function identityFor(d: SriovDevice, to: Style, o: ConvertOptions, spare: PciAddress[], where: string): Identity {
  const kept = d.entry?.kept;
  if (to === 'network') {
    // a device on a pool stays on it: --network names the pool for those that come to one
    const network = d.fields.network ?? o.network ?? kept?.network;
    if (!network) {
      throw new InputError(`${where}: converting to network style needs the name of a hostdev network`,
        'add --network NAME (see `virt-sriov network --help` to create one)');
    }
    return { network };
  }
  const vf = d.fields.vf ?? kept?.vf ?? spare.shift();
  if (!vf) {
    throw new InputError(`${where}: on network '${d.fields.network}' it has no VF of its own, and ${describeStyle(to)} needs one`,
      'give a free VF with --vf PCI_ADDRESS (see `virt-sriov status`), or keep network style');
  }
  return { vf };
}

/**
 * Where each setting lives in a style: <mac> and <vlan> in the element where the style and the
 * libvirt version can hold them, everything else in metadata. libvirt's <vlan> has no QoS, so a
 * VLAN with a priority stays in metadata and the hook sets it.
 */
export function placeSettings(to: Style, s: VfSettings, vlanInXml: boolean): { mac?: string; vlan?: Vlan; rest: VfSettings } {
  if (to === 'hostdev') return { rest: s };
  const vlanInElement = vlanInXml && s.vlan !== undefined && s.vlan.qos === undefined;
  return {
    mac: s.mac,
    vlan: vlanInElement ? s.vlan : undefined,
    rest: omit(s, vlanInElement ? ['mac', 'vlan'] : ['mac']),
  };
}

/**
 * The <vlan> a device plugged into a running guest carries: libvirt sets an <interface>'s VLAN
 * as it plugs it in, untagged when the XML has none, so a VLAN kept in metadata for its priority
 * still goes in the XML as its bare tag (the priority is put on once it is in).
 */
export function pluggedVlan(to: Style, placed: { readonly vlan?: Vlan }, s: VfSettings, vlanInXml: boolean): Vlan | undefined {
  return placed.vlan ?? (to === 'interface' && vlanInXml && s.vlan ? { id: s.vlan.id } : undefined);
}

/** How the hook will find a device's metadata: by VF address for <hostdev> or a MAC-less interface, else by MAC. */
export function metadataKey(to: Style, mac: string | undefined, vf: PciAddress | undefined): MetadataKey {
  return to === 'hostdev' || !mac ? { pci: vf! } : { mac };
}

/**
 * Split the device between the new element's XML and metadata: its settings by placeSettings,
 * its other parts (its own and those kept from an earlier style) by the style table.
 */
function layout(d: SriovDevice, to: Style, id: Identity, vlanInXml: boolean, macs: Set<string>, warnings: string[], where: string,
  since: ((v: string) => boolean) | undefined) {
  const before = d.entry?.kept;
  const placed = placeSettings(to, d.settings, vlanInXml);
  let mac = placed.mac;
  let rest = placed.rest;
  let generatedMac = before?.generatedMac;
  if (to !== 'network' && generatedMac && d.settings.mac === generatedMac) {
    // it had none before convert gave it one, and a pinned device needs none: metadata goes by its VF
    mac = undefined;
    rest = omit(rest, ['mac']);
    generatedMac = undefined;
  }

  // every part of the device, the XML's over what an earlier conversion kept
  const attributes: Record<string, string> = { ...before?.attributes, ...d.fields.attributes };
  // a VF from a pool was detached by libvirt (virt-sriov's pools are managed); pinned, it says so itself
  let defaultManaged = before?.defaultManaged;
  if (d.style === 'network' && to !== 'network' && !before?.vf && !('managed' in attributes)) {
    attributes.managed = 'yes';
    defaultManaged = true;
  }
  if (to === 'network' && defaultManaged) {
    if (attributes.managed === 'yes') delete attributes.managed;
    defaultManaged = undefined;
  }
  const sourceAttributes = { ...before?.sourceAttributes, ...d.fields.sourceAttributes };
  // what comes back from metadata takes the quotes of the device it returns to
  for (const n of before?.children ?? []) forgetSourceForms(n);
  const children = [...d.fields.children, ...(before?.children ?? [])];
  const inXml = (n: XmlNode) => d.fields.children.includes(n);
  const keptAttributes: Record<string, string> = {};
  const keptSource: Record<string, string> = {};
  const moved: string[] = [];
  const split = (all: Record<string, string>, kind: 'element' | 'source', keep: Record<string, string>, fromXml: Record<string, string>) => {
    const held: Record<string, string> = {};
    for (const [name, value] of Object.entries(all)) {
      if (holdsAttribute(to, name, kind)) held[name] = value;
      else {
        keep[name] = value;
        if (name in fromXml) moved.push(`${where}: ${kind === 'source' ? `<source ${name}='${value}'>` : `${name}='${value}'`} ${movedWhy(to)}`);
      }
    }
    return held;
  };
  const heldAttributes = split(attributes, 'element', keptAttributes, d.fields.attributes);
  const heldSource = split(sourceAttributes, 'source', keptSource, d.fields.sourceAttributes);
  const heldChildren: XmlNode[] = [];
  const keptChildren: XmlNode[] = [];
  for (const n of children) {
    if (holdsChild(to, n, since)) heldChildren.push(n);
    else {
      keptChildren.push(n);
      if (inXml(n)) moved.push(`${where}: ${describeNode(n as XmlElement)} ${movedWhy(to)}`);
    }
  }
  // a device going back to the VF or network it had keeps no note of the one it leaves
  const returning = to === 'network' ? !!before?.network && id.network === before.network
    : !!before?.vf && !!id.vf && samePciAddress(id.vf, before.vf);
  const kept: KeptParts = {
    vf: to === 'network' && !returning ? d.fields.vf ?? before?.vf : undefined,
    network: to !== 'network' && !returning ? d.fields.network ?? before?.network : undefined,
    generatedMac, defaultManaged,
    attributes: keptAttributes, sourceAttributes: keptSource, children: keptChildren,
  };
  if (to === 'network' && !mac && (Object.keys(rest).length > 0 || !isEmptyKept(kept))) {
    // metadata finds a network-style interface by its MAC: give it one now, as libvirt would at define
    mac = generateMac(macs);
    macs.add(mac);
    generatedMac = mac;
    warnings.push(`${where}: gave it MAC ${mac} so that its virt-sriov settings can find it on the network`);
  }
  const fields: DeviceFields = {
    ...id, mac, vlan: placed.vlan, attributes: heldAttributes, sourceAttributes: heldSource, children: heldChildren,
  };
  const keptNow = { ...kept, generatedMac };
  const store = Object.keys(rest).length > 0 || !isEmptyKept(keptNow);
  return { fields, key: store ? metadataKey(to, mac, id.vf) : undefined, rest, kept: keptNow, moved };
}

function movedWhy(to: Style): string {
  return `moved to virt-sriov metadata: ${describeStyle(to)} can't hold it, so libvirt won't apply it until the device returns to a style that does`;
}

/** `<virtualport type='802.1Qbg'>`: an element as an admin would look for it in the XML. */
function describeNode(el: XmlElement): string {
  if (!isElement(el)) return 'a comment';
  const attrs = Array.from(el.attributes).slice(0, 2).map((a) => ` ${a.name}='${a.value}'`).join('');
  return `<${el.tagName}${attrs}>`;
}

/** Whether converting would change anything: a device already in its layout is left as written. */
function changes(d: SriovDevice, to: Style, f: DeviceFields, rest: VfSettings): boolean {
  if (d.style !== to) return true;
  const same = <T>(a: T, b: T) => JSON.stringify(a) === JSON.stringify(b);
  return !same(d.fields.network, f.network) || !same(d.fields.mac, f.mac) || !same(d.fields.vlan, f.vlan)
    || !same(d.fields.vf && formatPciAddress(d.fields.vf), f.vf && formatPciAddress(f.vf))
    || !same(compact(d.entry?.settings ?? {}), compact(rest));
}

/** A device element anew in place of `old`, written as `old` was (one line, or its indentation). */
export function buildElement(old: XmlElement, to: Style, fields: DeviceFields): XmlElement {
  // a device written on one line stays on one line, one written with four spaces a level keeps them
  if (!/\n/.test(old.textContent ?? '')) return buildDevice(old.ownerDocument, to, fields, null);
  const indent = indentOf(old);
  return buildDevice(old.ownerDocument, to, fields, indent, childIndentOf(old).slice(indent.length) || undefined);
}

export function buildDevice(doc: XmlDocument, to: Style, fields: DeviceFields, indent: string | null, step?: string): XmlElement {
  const builders = { hostdev: buildHostdev, interface: buildHostdevInterface, network: buildNetworkInterface };
  return builders[to](doc, fields, indent, step);
}
