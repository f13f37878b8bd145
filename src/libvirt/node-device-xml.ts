/**
 * What virt-sriov needs from libvirt's node device XML (virsh nodedev-dumpxml): which device
 * is a PCI function, a PF's VFs (`<capability type='virt_functions'>`), a VF's PF
 * (`<capability type='phys_function'>`), and which netdev sits on which PCI function.
 */
import { InputError } from '../errors.js';
import { formatPciAddress, pciAddressFromAttributes, type PciAddress } from '../model/pci-address.js';
import { readXml } from '../xml/document.js';
import { child, childElements, textOf, type XmlElement } from '../xml/dom.js';

export interface NodeDevice {
  /** libvirt's name: pci_0000_03_10_2, net_eth0_00_1b_21_aa_bb_cc, computer. */
  readonly name: string;
  /** The device this one hangs off: a netdev's PCI function, a PCI function's bridge. */
  readonly parent: string | null;
  readonly sysfsPath: string | null;
  /** The bound kernel driver, when libvirt reports one. */
  readonly driver: string | null;
  /** The type of each top-level `<capability>`: "pci", "net", "system", ... */
  readonly capabilities: readonly string[];
  readonly pci: PciFunction | null;
  readonly net: NetInterface | null;
}

export interface PciFunction {
  readonly address: PciAddress;
  /** "0x8086" */
  readonly vendorId: string | null;
  readonly productId: string | null;
  /** Present on a PF that can do SR-IOV, even with no VFs enabled. */
  readonly sriov: SriovCapability | null;
  /** Present on a VF: its PF. */
  readonly physicalFunction: PciAddress | null;
}

export interface SriovCapability {
  /** sriov_totalvfs; null when libvirt does not say (before libvirt 1.3). */
  readonly maxCount: number | null;
  /** The VFs enabled now (sriov_numvfs of them). */
  readonly virtualFunctions: readonly PciAddress[];
}

export interface NetInterface {
  /** "eth0" */
  readonly name: string;
  readonly mac: string | null;
  /** `<link state='up'>`: the netdev is up with a carrier (libvirt >= 1.2.1 says; null when it doesn't). */
  readonly linkUp: boolean | null;
}

const DUMPXML = 'give the output of `virsh nodedev-dumpxml NAME`';

export function parseNodeDeviceXml(xml: string, what = 'node device XML'): NodeDevice {
  const device = readXml(xml, what).root;
  if (device.localName !== 'device') {
    throw new InputError(`${what}: the root element is <${device.localName}>, not <device>`, DUMPXML);
  }
  const name = textOf(child(device, 'name'));
  if (!name) throw new InputError(`${what}: the device has no <name>`, DUMPXML);
  const where = `node device ${name}`;
  const caps = childElements(device, 'capability');
  const capOf = (type: string) => caps.find((c) => c.getAttribute('type') === type) ?? null;
  const pci = capOf('pci');
  const net = capOf('net');
  return {
    name,
    parent: textOf(child(device, 'parent')) || null,
    sysfsPath: textOf(child(device, 'path')) || null,
    driver: textOf(child(device, 'driver', 'name')) || null,
    capabilities: caps.map((c) => c.getAttribute('type') ?? ''),
    pci: pci && parsePci(pci, where),
    net: net && parseNet(net, where),
  };
}

/** libvirt's node device name for a PCI function: 0000:03:10.2 is pci_0000_03_10_2. */
export function pciNodeDeviceName(address: PciAddress): string {
  return `pci_${formatPciAddress(address).replace(/[:.]/g, '_')}`;
}

function parsePci(cap: XmlElement, where: string): PciFunction {
  // <domain>0</domain><bus>3</bus><slot>16</slot><function>2</function>: decimal, as libvirt writes them.
  const address = pciAddressFromAttributes((key) => textOf(child(cap, key)), where);
  const subcaps = childElements(cap, 'capability');
  const vfs = subcaps.find((c) => c.getAttribute('type') === 'virt_functions') ?? null;
  const pf = subcaps.find((c) => c.getAttribute('type') === 'phys_function') ?? null;
  const pfAddress = pf && child(pf, 'address');
  return {
    address,
    vendorId: child(cap, 'vendor')?.getAttribute('id') ?? null,
    productId: child(cap, 'product')?.getAttribute('id') ?? null,
    sriov: vfs && {
      maxCount: countAttribute(vfs, 'maxCount'),
      virtualFunctions: childElements(vfs, 'address').map((a) => addressAttributes(a, `${where}: virtual function`)),
    },
    physicalFunction: pfAddress && addressAttributes(pfAddress, `${where}: physical function`),
  };
}

/** `<address domain='0x0000' bus='0x03' slot='0x10' function='0x2'/>` */
function addressAttributes(el: XmlElement, where: string): PciAddress {
  return pciAddressFromAttributes((key) => el.getAttribute(key), where);
}

function countAttribute(el: XmlElement, name: string): number | null {
  const raw = el.getAttribute(name);
  return raw !== null && /^\d+$/.test(raw.trim()) ? Number(raw) : null;
}

function parseNet(cap: XmlElement, where: string): NetInterface {
  const name = textOf(child(cap, 'interface'));
  if (!name) throw new InputError(`${where}: the net capability has no <interface>`, DUMPXML);
  const state = child(cap, 'link')?.getAttribute('state') ?? null;
  return { name, mac: textOf(child(cap, 'address')) || null, linkUp: state === null ? null : state === 'up' };
}
