/**
 * Rewrite a domain's SR-IOV devices from one assignment style to another. Each device keeps
 * its place among its siblings and every setting it had: what the new style's XML can hold
 * goes into the XML, the rest into virt-sriov's metadata, keyed so the hook finds it at start.
 */
import { InputError } from '../errors.js';
import { generateMac } from '../model/mac.js';
import { formatPciAddress, samePciAddress, type PciAddress } from '../model/pci-address.js';
import { compact, omit, type VfSettings, type Vlan } from '../model/vf-settings.js';
import { indentOf, isElement, replaceElement, type XmlDocument, type XmlElement } from '../xml/dom.js';
import { describeStyle, PORTABLE_CHILDREN, type DeviceFields, type Style } from '../xml/devices/device-fields.js';
import { buildHostdev } from '../xml/devices/hostdev.js';
import { buildHostdevInterface } from '../xml/devices/interface-hostdev.js';
import { buildNetworkInterface } from '../xml/devices/interface-network.js';
import type { MetadataKey } from '../xml/metadata.js';
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
  /** What the admin should know: dropped elements, generated MACs. */
  readonly warnings: string[];
}

/** Children each style's element accepts besides its own; anything else can't follow. */
const ACCEPTED: Record<Style, (name: string) => boolean> = {
  hostdev: (n) => PORTABLE_CHILDREN.includes(n),
  interface: (n) => PORTABLE_CHILDREN.includes(n) || n === 'teaming' || n === 'virtualport',
  network: () => true,
};

export function convertDomain(domain: DomainXml, options: ConvertOptions): ConvertResult {
  const devices = domain.sriovDevices(options.context);
  const conversions: Conversion[] = [];
  const warnings: string[] = [];
  const spareVfs = (options.vfs ?? []).filter((vf) => !devices.some((d) => d.fields.vf && samePciAddress(d.fields.vf, vf)));
  const macs = new Set(devices.flatMap((d) => (d.settings.mac ? [d.settings.mac] : [])));
  const where = (d: SriovDevice) => `domain ${domain.name}, ${d.label}`;

  // Decide everything first: a device that can't be converted stops the whole rewrite untouched.
  const plans = devices.map((device) => {
    const to = typeof options.target === 'function' ? options.target(device) : options.target;
    const identity = identityFor(device, to, options, spareVfs, where(device));
    return { device, to, ...layout(device, to, identity, options.vlanInXml, macs, warnings, where(device)) };
  });

  for (const plan of plans) {
    const { device, to, fields, key, rest } = plan;
    if (!changes(device, to, fields, rest)) continue;
    const carried = device.fields.carried.filter((n) => {
      if (!isElement(n) || n.namespaceURI || ACCEPTED[to](n.localName)) return true;
      warnings.push(`${where(device)}: dropped <${n.localName}>: ${describeStyle(to)} has no such element`);
      return false;
    });
    const el = buildElement(device.element, to, { ...fields, carried });
    replaceElement(device.element, el);
    domain.metadata.put(key, rest, device.entry?.key);
    conversions.push({ from: device.style, to, device: device.label });
  }
  return { devices: devices.length, conversions, warnings };
}

interface Identity {
  readonly vf?: PciAddress;
  readonly network?: string;
}

function identityFor(d: SriovDevice, to: Style, o: ConvertOptions, spare: PciAddress[], where: string): Identity {
  if (to === 'network') {
    const network = o.network ?? d.fields.network;
    if (!network) {
      throw new InputError(`${where}: converting to network style needs the name of a hostdev network`,
        'add --network NAME (see `virt-sriov network --help` to create one)');
    }
    return { network };
  }
  const vf = d.fields.vf ?? spare.shift();
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

/** How the hook will find a device's metadata: by VF address for <hostdev> or a MAC-less interface, else by MAC. */
export function metadataKey(to: Style, mac: string | undefined, vf: PciAddress | undefined): MetadataKey {
  return to === 'hostdev' || !mac ? { pci: vf! } : { mac };
}

/** Split the device's settings between the new element's XML and metadata. */
function layout(d: SriovDevice, to: Style, id: Identity, vlanInXml: boolean, macs: Set<string>, warnings: string[], where: string) {
  const placed = placeSettings(to, d.settings, vlanInXml);
  let mac = placed.mac;
  if (to === 'network' && !mac && Object.keys(placed.rest).length > 0) {
    // metadata finds a network-style interface by its MAC: give it one now, as libvirt would at define
    mac = generateMac(macs);
    macs.add(mac);
    warnings.push(`${where}: gave it MAC ${mac} so that its virt-sriov settings can find it on the network`);
  }
  if (d.fields.portgroup && to !== 'network') {
    warnings.push(`${where}: dropped portgroup '${d.fields.portgroup}' of network '${d.fields.network}': a VF-pinned device has none; set what it gave (such as a VLAN) on the device`);
  }
  const fields: Omit<DeviceFields, 'carried'> = {
    ...id,
    mac,
    vlan: placed.vlan,
    portgroup: to === 'network' ? d.fields.portgroup : undefined,
    managed: to === 'network' ? undefined : d.fields.managed,
    driver: to === 'network' ? undefined : d.fields.driver,
  };
  return { fields, key: metadataKey(to, mac, id.vf), rest: placed.rest };
}

/** Whether converting would change anything: a device already in its layout is left as written. */
function changes(d: SriovDevice, to: Style, f: Omit<DeviceFields, 'carried'>, rest: VfSettings): boolean {
  if (d.style !== to) return true;
  const same = <T>(a: T, b: T) => JSON.stringify(a) === JSON.stringify(b);
  return !same(d.fields.network, f.network) || !same(d.fields.mac, f.mac) || !same(d.fields.vlan, f.vlan)
    || !same(d.fields.vf && formatPciAddress(d.fields.vf), f.vf && formatPciAddress(f.vf))
    || !same(compact(d.entry?.settings ?? {}), compact(rest));
}

function buildElement(old: XmlElement, to: Style, fields: DeviceFields): XmlElement {
  // a device written on one line stays on one line
  return buildDevice(old.ownerDocument, to, fields, /\n/.test(old.textContent ?? '') ? indentOf(old) : null);
}

export function buildDevice(doc: XmlDocument, to: Style, fields: DeviceFields, indent: string | null): XmlElement {
  const builders = { hostdev: buildHostdev, interface: buildHostdevInterface, network: buildNetworkInterface };
  return builders[to](doc, fields, indent);
}
