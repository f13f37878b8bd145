/** Virtual networks on a connection, by name (a hostdev network is a pool of VFs). */
import { ErrorCode, ListNetworksFlag, NetworkXmlFlag } from './constants.js';
import { defineOperation } from './defined-name.js';
import type { NetworkPtr } from './ffi.js';
import { namedKind, NamedObjects, type NamedSummary } from './named-objects.js';
import type { Session, StateFilter } from './session.js';

export interface NetworkSummary extends NamedSummary {
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

export const NETWORK = namedKind<'Network', NetworkPtr>('Network', {
  noun: 'network',
  notFound: ErrorCode.NO_NETWORK,
  listFlags: { all: 0, active: ListNetworksFlag.ACTIVE, inactive: ListNetworksFlag.INACTIVE },
  undefine: (ffi, network) => ffi.virNetworkUndefine(network),
});

export class Networks extends NamedObjects<NetworkPtr, NetworkSummary> implements NetworkOperations {
  constructor(session: Session) {
    super(session, NETWORK);
  }

  define(xml: string): NetworkSummary {
    const { ffi, conn } = this.session;
    return this.adoptDefined(ffi.virNetworkDefineXML(conn, xml), defineOperation('network', xml));
  }

  xml(name: string, options: { readonly inactive?: boolean } = {}): string {
    return this.readXml(name, options.inactive ? NetworkXmlFlag.INACTIVE : 0);
  }

  setAutostart(name: string, autostart: boolean): void {
    const operation = `${autostart ? 'enable' : 'disable'} autostart of network ${name}`;
    this.act(name, operation, (ffi, n) => ffi.virNetworkSetAutostart(n, autostart ? 1 : 0));
  }

  protected summarize(network: NetworkPtr, operation: string): NetworkSummary {
    const autostart: [number] = [0];
    this.session.status(this.session.ffi.virNetworkGetAutostart(network, autostart), operation);
    return { ...this.summary(network, operation), autostart: autostart[0] === 1 };
  }
}
