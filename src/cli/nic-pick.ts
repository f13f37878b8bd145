/** The SR-IOV NIC a command names with --mac or --vf, in one of a domain's definitions. */
import { InputError } from '../errors.js';
import { formatPciAddress, samePciAddress, type PciAddress } from '../model/pci-address.js';
import { sameOwner, type Owner, type VfRecord } from '../state/vf-record.js';
import { DomainXml, type DeviceContext, type SriovDevice } from '../xml/domain.js';
import type { CommandContext } from './command-context.js';
import { connectedDeviceContext } from './libvirt-host.js';

export interface NicChoice {
  readonly mac?: string;
  readonly vf?: PciAddress;
}

export interface FoundNic {
  readonly domain: DomainXml;
  readonly devices: readonly SriovDevice[];
  readonly device: SriovDevice | undefined;
  /** The error for a NIC that isn't there, naming what the domain has. */
  missing(): InputError;
}

/** `where`: ' (running)' for the live XML, '' for the definition; said in messages. */
export function findNic(ctx: CommandContext, name: string, xml: string, nic: NicChoice, where: string): FoundNic {
  return findNicIn(connectedDeviceContext(ctx), name, xml, nic, where);
}

/** findNic with the host's devices told by `base`. */
export function findNicIn(base: DeviceContext, name: string, xml: string, nic: NicChoice, where: string): FoundNic {
  const domain = DomainXml.parse(xml, `domain ${name}${where}`);
  const { mac, vf } = nic;
  // a <hostdev> named by --vf is taken as a VF even where this host can't tell
  const devices = domain.sriovDevices({ ...base, isVf: (a) => (vf && samePciAddress(a, vf)) || base.isVf(a) });
  const device = devices.find((d) => (mac && d.settings.mac === mac) || (vf && d.fields.vf && samePciAddress(d.fields.vf, vf)));
  return {
    domain, devices, device,
    missing: () => new InputError(
      `domain ${name} has no SR-IOV NIC ${mac ? `with MAC ${mac}` : `on VF ${formatPciAddress(vf!)}`}${where ? ' in the running guest' : ''} (it has: ${devices.map((d) => d.label).join(', ') || 'none'})`,
      '`virt-sriov status` and `virsh dumpxml` show what it has'),
  };
}

/** The VF (PCI address) a record gives this guest that --vf or --mac names, if any. */
export function heldVf(records: readonly VfRecord[], owner: Owner, nic: NicChoice): string | undefined {
  const { mac, vf } = nic;
  return records.find((r) => sameOwner(r.owner, owner) && ((vf && r.pci === formatPciAddress(vf)) || (mac && r.guest.mac === mac)))?.pci;
}

/**
 * The running guest's NIC on VF `pci`. A <hostdev> carries no MAC in the XML: its MAC is in
 * virt-sriov's record (and in the definition's metadata, which `attach --live` leaves alone), so a
 * --mac the live XML doesn't show may still name a NIC, the one on the VF that record holds.
 */
export function nicOnVf(found: FoundNic, pci: string | undefined): SriovDevice | undefined {
  return found.device ?? (pci === undefined ? undefined : found.devices.find((d) => d.fields.vf && formatPciAddress(d.fields.vf) === pci));
}
