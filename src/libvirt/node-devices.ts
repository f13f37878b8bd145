/** Host devices as libvirt's node device driver sees them (virsh nodedev-*), by name. */
import { OperationError } from '../errors.js';
import type { PciAddress } from '../model/pci-address.js';
import { ErrorCode, NodeDeviceCapabilityFlag, type NodeDeviceCapability } from './constants.js';
import type { NodeDevicePtr } from './ffi.js';
import { parseNodeDeviceXml, type NodeDevice, type PciFunction } from './node-device-xml.js';
import type { ObjectKind, Session } from './session.js';

export interface NodeDeviceSummary {
  readonly name: string;
  readonly parent: string | null;
}

export interface NodeDeviceOperations {
  /** The names of all node devices, or of those with one capability ("pci", "net", ...). */
  list(capability?: NodeDeviceCapability): string[];
  /** null when there is no node device of that name. */
  lookup(name: string): NodeDeviceSummary | null;
  xml(name: string): string;
  describe(name: string): NodeDevice;
  /**
   * The VFs a PF has enabled now (empty when none are); `name` is the PF's PCI device
   * (pci_0000_03_00_0) or its netdev (net_eth0_...). Throws if the device can't do SR-IOV.
   */
  virtualFunctions(name: string): PciAddress[];
  /** A VF's PF, or null when the device is not a VF; `name` as for virtualFunctions. */
  physicalFunction(name: string): PciAddress | null;
}

export const NODE_DEVICE: ObjectKind<NodeDevicePtr> = {
  noun: 'node device',
  notFound: ErrorCode.NO_NODE_DEVICE,
  lookup: (ffi, conn, name) => ffi.virNodeDeviceLookupByName(conn, name),
  free: (ffi, device) => void ffi.virNodeDeviceFree(device),
};

export class NodeDevices implements NodeDeviceOperations {
  constructor(private readonly session: Session) {}

  list(capability?: NodeDeviceCapability): string[] {
    const { ffi } = this.session;
    const flags = capability === undefined ? 0 : NodeDeviceCapabilityFlag[capability];
    const operation = capability === undefined ? 'list the node devices' : `list the node devices with capability ${capability}`;
    return this.session.listAll(NODE_DEVICE, (conn, out) => ffi.virConnectListAllNodeDevices(conn, out, flags), operation,
      (d) => this.session.check(ffi.virNodeDeviceGetName(d), operation));
  }

  lookup(name: string): NodeDeviceSummary | null {
    const device = this.session.find(NODE_DEVICE, name);
    return device === null ? null : this.session.adopt(NODE_DEVICE, device, (d) => this.summarize(d, `look up node device ${name}`));
  }

  xml(name: string): string {
    const operation = `read the XML of node device ${name}`;
    return this.session.use(NODE_DEVICE, name, operation,
      (d) => this.session.check(this.session.ffi.virNodeDeviceGetXMLDesc(d, 0), operation));
  }

  describe(name: string): NodeDevice {
    return parseNodeDeviceXml(this.xml(name), `node device ${name}`);
  }

  virtualFunctions(name: string): PciAddress[] {
    const pci = this.pciFunction(name);
    if (!pci.sriov) {
      throw new OperationError(
        `node device ${name} is not an SR-IOV physical function: libvirt reports no virt_functions capability`,
        'pick the PF (`virsh nodedev-list --cap pci`, then `virsh nodedev-dumpxml NAME` shows <capability type=\'virt_functions\'>)',
      );
    }
    return [...pci.sriov.virtualFunctions];
  }

  physicalFunction(name: string): PciAddress | null {
    return this.pciFunction(name).physicalFunction;
  }

  /** The PCI function `name` is, or the one its netdev sits on. */
  private pciFunction(name: string): PciFunction {
    const device = this.describe(name);
    if (device.pci) return device.pci;
    const parent = device.net && device.parent ? this.describe(device.parent) : null;
    if (parent?.pci) return parent.pci;
    throw new OperationError(
      `node device ${name} is not a PCI function (its capabilities: ${device.capabilities.join(', ') || 'none'})`,
      'give a pci_DDDD_BB_SS_F device or the net_* device of a PCI NIC (`virsh nodedev-list --cap pci`)',
    );
  }

  private summarize(device: NodeDevicePtr, operation: string): NodeDeviceSummary {
    const { ffi } = this.session;
    const name = this.session.check(ffi.virNodeDeviceGetName(device), operation);
    // NULL means "no parent" as well as "error"; the root device (computer) has none.
    const parent = ffi.virNodeDeviceGetParent(device);
    if (parent === null) ffi.virResetLastError();
    return { name, parent };
  }
}
