/**
 * The numbers of libvirt's public headers that this binding uses (libvirt-domain.h,
 * libvirt-network.h, libvirt-nodedev.h, virterror.h). They are part of libvirt's stable ABI.
 */

/** `virErrorNumber`: what went wrong. */
export const ErrorCode = {
  INTERNAL_ERROR: 1,
  NO_MEMORY: 2,
  NO_SUPPORT: 3,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  NO_NAME: 21,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  OPERATION_DENIED: 29,
  XML_DETAIL: 35,
  NETWORK_EXIST: 37,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  NO_NETWORK: 43,
  AUTH_FAILED: 45,
  NO_NODE_DEVICE: 53,
  OPERATION_INVALID: 55,
  CONFIG_UNSUPPORTED: 67,
  AUTH_CANCELLED: 79,
  OPERATION_UNSUPPORTED: 84,
  SSH: 85,
  ACCESS_DENIED: 88,
  XML_INVALID_SCHEMA: 92,
  AUTH_UNAVAILABLE: 94,
} as const;

/** `virErrorDomain`: which part of libvirt raised the error (a few of them, for tests and messages). */
export const ErrorDomain = {
  NONE: 0,
  XML: 5,
  RPC: 7,
  QEMU: 10,
  TEST: 12,
  REMOTE: 13,
  NETWORK: 19,
  DOMAIN: 20,
  NODEDEV: 22,
} as const;

/** `virDomainXMLFlags` */
export const DomainXmlFlag = { SECURE: 1 << 0, INACTIVE: 1 << 1, UPDATE_CPU: 1 << 2, MIGRATABLE: 1 << 3 } as const;

/** `virDomainMigrateFlags` (the ones virt-sriov migrate uses) */
export const MigrateFlag = { LIVE: 1 << 0, PEER2PEER: 1 << 1, PERSIST_DEST: 1 << 3, UNDEFINE_SOURCE: 1 << 4, PAUSED: 1 << 5 } as const;

/** `virDomainState` */
export const DomainState = { NOSTATE: 0, RUNNING: 1, BLOCKED: 2, PAUSED: 3, SHUTDOWN: 4, SHUTOFF: 5, CRASHED: 6, PMSUSPENDED: 7 } as const;

/** `virDomainDefineFlags` */
export const DomainDefineFlag = { VALIDATE: 1 << 0 } as const;

/**
 * `virDomainDeviceModifyFlags` (= `virDomainModificationImpact`): which definition a device
 * change is for. CURRENT: the running one if the domain runs, else the persistent one.
 */
export const DeviceModifyFlag = { CURRENT: 0, LIVE: 1 << 0, CONFIG: 1 << 1 } as const;

/** `virDomainEventID`: the domain events this binding subscribes to (each has its callback type). */
export const DomainEventId = { LIFECYCLE: 0, DEVICE_REMOVED: 15, DEVICE_ADDED: 19, DEVICE_REMOVAL_FAILED: 22 } as const;

/** `virDomainEventType`: the `event` of a lifecycle event. */
export const LifecycleEvent = {
  DEFINED: 0, UNDEFINED: 1, STARTED: 2, SUSPENDED: 3, RESUMED: 4, STOPPED: 5, SHUTDOWN: 6, PMSUSPENDED: 7, CRASHED: 8,
} as const;

/** `virConnectListAllDomainsFlags` (the state group) */
export const ListDomainsFlag = { ACTIVE: 1 << 0, INACTIVE: 1 << 1 } as const;

/** `virNetworkXMLFlags` */
export const NetworkXmlFlag = { INACTIVE: 1 << 0 } as const;

/** `virConnectListAllNetworksFlags` (the state group; note the order differs from domains') */
export const ListNetworksFlag = { INACTIVE: 1 << 0, ACTIVE: 1 << 1 } as const;

/**
 * `virConnectListAllNodeDeviceFlags`, by the capability names libvirt uses in node device XML
 * (`<capability type='pci'>`) and in `virsh nodedev-list --cap`.
 */
export const NodeDeviceCapabilityFlag = {
  system: 1 << 0,
  pci: 1 << 1,
  usb_device: 1 << 2,
  usb: 1 << 3,
  net: 1 << 4,
  scsi_host: 1 << 5,
  scsi_target: 1 << 6,
  scsi: 1 << 7,
  storage: 1 << 8,
  fc_host: 1 << 9,
  vports: 1 << 10,
  scsi_generic: 1 << 11,
  drm: 1 << 12,
  mdev_types: 1 << 13,
  mdev: 1 << 14,
  ccw: 1 << 15,
} as const;

export type NodeDeviceCapability = keyof typeof NodeDeviceCapabilityFlag;
