/**
 * virt-sriov's binding to libvirt's C API (libvirt.so.0, through koffi). The rest of the
 * project uses these types and functions, never koffi or the raw declarations in ffi.ts.
 */
export {
  clientLibraryVersion,
  hostMark,
  removeHostMark,
  HOST_MARK_FILTER,
  migrateDomain,
  openLibvirt,
  type MigrateOptions,
  withLibvirt,
  type DomainCapabilitiesQuery,
  type LibvirtConnection,
  type OpenOptions,
} from './connection.js';
export type { DeviceTarget, DomainOperations, DomainSummary, DomainXmlOptions } from './domains.js';
export type { DeviceEvent, DeviceEventKind, DomainEvents, LifecycleEventData } from './events.js';
export type { NetworkOperations, NetworkSummary } from './networks.js';
export type { NodeDeviceOperations, NodeDeviceSummary } from './node-devices.js';
export type { StateFilter } from './session.js';
export {
  parseNodeDeviceXml,
  pciNodeDeviceName,
  type NetInterface,
  type NodeDevice,
  type PciFunction,
  type SriovCapability,
} from './node-device-xml.js';
export { LibvirtError } from './error.js';
export { DomainState, ErrorCode, ErrorDomain, LifecycleEvent, MigrateFlag, type NodeDeviceCapability } from './constants.js';
export { DEFAULT_LIBRARY } from './ffi.js';
