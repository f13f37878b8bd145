/** Virtual networks on a connection, by name (a hostdev network is a pool of VFs). */
import { ErrorCode, ListNetworksFlag, NetworkXmlFlag } from './constants.js';
import { defineOperation } from './defined-name.js';
import type { LibvirtFfi, NetworkPtr } from './ffi.js';
import type { ObjectKind, Session, StateFilter } from './session.js';

export interface NetworkSummary {
  readonly name: string;
  readonly uuid: string;
  readonly active: boolean;
  readonly persistent: boolean;
  /** Started when the libvirt daemon starts. */
  readonly autostart: boolean;
}

export interface NetworkOperations {
  define(xml: string): NetworkSummary;
  undefine(name: string): void;
  /** null when there is no network of that name. */
  lookup(name: string): NetworkSummary | null;
  /** `inactive`: the persistent definition (VIR_NETWORK_XML_INACTIVE) rather than the running one. */
  xml(name: string, options?: { readonly inactive?: boolean }): string;
  isActive(name: string): boolean;
  list(filter?: StateFilter): NetworkSummary[];
  /** Start a defined network (virNetworkCreate). */
  start(name: string): void;
  /** Stop a network (virNetworkDestroy); its definition stays. */
  destroy(name: string): void;
  setAutostart(name: string, autostart: boolean): void;
}

export const NETWORK: ObjectKind<NetworkPtr> = {
  noun: 'network',
  notFound: ErrorCode.NO_NETWORK,
  lookup: (ffi, conn, name) => ffi.virNetworkLookupByName(conn, name),
  free: (ffi, network) => void ffi.virNetworkFree(network),
};

const LIST_FLAGS: Record<StateFilter, number> = {
  all: 0,
  active: ListNetworksFlag.ACTIVE,
  inactive: ListNetworksFlag.INACTIVE,
};

export class Networks implements NetworkOperations {
  constructor(private readonly session: Session) {}

  define(xml: string): NetworkSummary {
    const { ffi, conn } = this.session;
    const operation = defineOperation('network', xml);
    const network = this.session.check(ffi.virNetworkDefineXML(conn, xml), operation);
    return this.session.adopt(NETWORK, network, (n) => this.summarize(n, operation));
  }

  undefine(name: string): void {
    this.act(name, `undefine network ${name}`, (ffi, n) => ffi.virNetworkUndefine(n));
  }

  lookup(name: string): NetworkSummary | null {
    const network = this.session.find(NETWORK, name);
    return network === null ? null : this.session.adopt(NETWORK, network, (n) => this.summarize(n, `look up network ${name}`));
  }

  xml(name: string, options: { readonly inactive?: boolean } = {}): string {
    const operation = `read the XML of network ${name}`;
    const flags = options.inactive ? NetworkXmlFlag.INACTIVE : 0;
    return this.session.use(NETWORK, name, operation,
      (n) => this.session.check(this.session.ffi.virNetworkGetXMLDesc(n, flags), operation));
  }

  isActive(name: string): boolean {
    const operation = `tell whether network ${name} is running`;
    return this.session.use(NETWORK, name, operation, (n) => this.session.flag(this.session.ffi.virNetworkIsActive(n), operation));
  }

  list(filter: StateFilter = 'all'): NetworkSummary[] {
    const { ffi } = this.session;
    const operation = `list ${filter === 'all' ? 'the' : filter} networks`;
    return this.session.listAll(NETWORK, (conn, out) => ffi.virConnectListAllNetworks(conn, out, LIST_FLAGS[filter]),
      operation, (n) => this.summarize(n, operation));
  }

  start(name: string): void {
    this.act(name, `start network ${name}`, (ffi, n) => ffi.virNetworkCreate(n));
  }

  destroy(name: string): void {
    this.act(name, `stop (destroy) network ${name}`, (ffi, n) => ffi.virNetworkDestroy(n));
  }

  setAutostart(name: string, autostart: boolean): void {
    const operation = `${autostart ? 'enable' : 'disable'} autostart of network ${name}`;
    this.act(name, operation, (ffi, n) => ffi.virNetworkSetAutostart(n, autostart ? 1 : 0));
  }

  /** One call on the network `name` that answers 0 or -1. */
  private act(name: string, operation: string, call: (ffi: LibvirtFfi, network: NetworkPtr) => number): void {
    this.session.use(NETWORK, name, operation, (n) => this.session.status(call(this.session.ffi, n), operation));
  }

  private summarize(network: NetworkPtr, operation: string): NetworkSummary {
    const { ffi } = this.session;
    const autostart: [number] = [0];
    this.session.status(ffi.virNetworkGetAutostart(network, autostart), operation);
    return {
      name: this.session.check(ffi.virNetworkGetName(network), operation),
      uuid: this.session.uuid((buf) => ffi.virNetworkGetUUIDString(network, buf), operation),
      active: this.session.flag(ffi.virNetworkIsActive(network), operation),
      persistent: this.session.flag(ffi.virNetworkIsPersistent(network), operation),
      autostart: autostart[0] === 1,
    };
  }
}
