/** Opening a libvirt connection, and what it says about the host. */
import { versionFromNumber, type Version } from '../versions/version.js';
import { Domains, type DomainOperations } from './domains.js';
import { DOMAIN } from './domains.js';
import { lastError, LibvirtError } from './error.js';
import type { ConnectPtr, DomainPtr } from './ffi.js';
import { enableEventLoop, SessionEvents, type DomainEvents } from './events.js';
import { loadLibvirt, type LibvirtFfi } from './ffi.js';
import { Networks, type NetworkOperations } from './networks.js';
import { NodeDevices, type NodeDeviceOperations } from './node-devices.js';
import { Session } from './session.js';

export interface OpenOptions {
  /**
   * qemu:///system, test:///default, ... Without one, libvirt picks: $LIBVIRT_DEFAULT_URI,
   * then uri_default in libvirt.conf, then whichever hypervisor it finds.
   */
  readonly uri?: string;
  /** Open read-only (virConnectOpenReadOnly): queries only, allowed to more users. */
  readonly readOnly?: boolean;
  /** Where libvirt's client library is; the default is libvirt.so.0 as the dynamic linker finds it. */
  readonly libraryPath?: string;
  /** Receive domain events (events.ts): sets up libvirt's event loop before connecting. */
  readonly events?: boolean;
}

export interface DomainCapabilitiesQuery {
  /** /usr/bin/qemu-system-x86_64 */
  readonly emulator?: string;
  readonly arch?: string;
  readonly machine?: string;
  /** "kvm", "qemu" */
  readonly virtType?: string;
}

export interface LibvirtConnection {
  /** The URI libvirt connected to (after picking a default, if none was given). */
  readonly uri: string;
  readonly readOnly: boolean;
  readonly closed: boolean;
  readonly domains: DomainOperations;
  readonly networks: NetworkOperations;
  readonly nodeDevices: NodeDeviceOperations;
  /** Domain events; only on a connection opened with `events: true`. */
  readonly events: DomainEvents;
  /** The version of libvirt serving the connection (the daemon's, for a remote or daemon URI). */
  libraryVersion(): Version;
  /** The hypervisor's version (QEMU's, for qemu:///); null when the driver does not know it. */
  hypervisorVersion(): Version | null;
  /** The driver's name for the hypervisor: "QEMU", "TEST", ... */
  hypervisorType(): string;
  hostname(): string;
  /** The host capabilities XML (virsh capabilities). */
  capabilities(): string;
  /** The domain capabilities XML (virsh domcapabilities). */
  domainCapabilities(query?: DomainCapabilitiesQuery): string;
  /**
   * Whether the daemon is still there (virConnectIsAlive): false once libvirtd went away (a
   * restart), after which the connection is of no use and a new one must be opened.
   */
  alive(): boolean;
  /** Close the connection; closing again does nothing. */
  close(): void;
}

export function openLibvirt(options: OpenOptions = {}): LibvirtConnection {
  const ffi = loadLibvirt(options.libraryPath);
  if (options.events) enableEventLoop(ffi);
  const readOnly = options.readOnly ?? false;
  const uri = options.uri ?? null;
  const conn = (readOnly ? ffi.virConnectOpenReadOnly : ffi.virConnectOpen)(uri);
  const target = uri ?? "libvirt's default URI";
  if (conn === null) throw lastError(ffi, `connect to ${target}${readOnly ? ' (read-only)' : ''}`);
  // a daemon that hangs is noticed as one that went away (within 15 s), not waited on forever
  if (options.events && ffi.virConnectSetKeepAlive(conn, 5, 3) < 0) ffi.virResetLastError();
  const resolved = ffi.virConnectGetURI(conn);
  if (resolved === null) {
    const error = lastError(ffi, `read the URI of the connection to ${target}`);
    ffi.virConnectClose(conn);
    throw error;
  }
  return new Connection(new Session(ffi, conn, resolved), readOnly);
}

/** Open a connection, run `use` with it, and close it, also when `use` throws. */
export function withLibvirt<T>(options: OpenOptions, use: (connection: LibvirtConnection) => T): T {
  const connection = openLibvirt(options);
  try {
    return use(connection);
  } finally {
    connection.close();
  }
}

/** The version of the libvirt client library in this process (virGetVersion), no connection needed. */
export function clientLibraryVersion(libraryPath?: string): Version {
  const ffi = loadLibvirt(libraryPath);
  const version: [number] = [0];
  if (ffi.virGetVersion(version, null, null) < 0) throw lastError(ffi, 'report its version');
  return versionFromNumber(version[0]);
}

/** Each open connection's session, for calls that take two connections (migrateDomain). */
const sessions = new WeakMap<LibvirtConnection, Session>();

export interface MigrateOptions {
  /** `MigrateFlag`s. */
  readonly flags: number;
  /** The domain XML for the destination (virDomainMigrate2's dxml): host-side changes only. */
  readonly destXml?: string;
  /** Where QEMU's migration stream goes (tcp://HOST:PORT), when the destination's host name doesn't reach it. */
  readonly migrateUri?: string;
}

/**
 * Migrate a running domain from `source` to `dest` (virDomainMigrate2, both connections held
 * here, as virsh does without --p2p), on a worker thread: the caller's event loop runs meanwhile.
 * Resolves once the guest runs on the destination; a failure leaves it on the source.
 */
export async function migrateDomain(source: LibvirtConnection, name: string, dest: LibvirtConnection, o: MigrateOptions): Promise<void> {
  const from = sessions.get(source)!;
  const to = sessions.get(dest)!;
  const operation = `migrate domain ${name} to ${to.uri}`;
  const domain = from.check(from.ffi.virDomainLookupByName(from.conn, name), operation) as DomainPtr;
  try {
    from.ffi.virConnResetLastError(from.conn as ConnectPtr);
    const moved = await from.ffi.virDomainMigrate2Async(domain, to.conn as ConnectPtr, o.destXml ?? null, o.flags, null, o.migrateUri ?? null, 0);
    if (moved === null) {
      const raw = from.ffi.virConnGetLastError(from.conn as ConnectPtr) ?? from.ffi.virGetLastError();
      from.ffi.virConnResetLastError(from.conn as ConnectPtr);
      throw new LibvirtError(operation, raw?.code ?? 0, raw?.domain ?? 0, raw?.message ?? 'libvirt gave no reason');
    }
    DOMAIN.free(to.ffi, moved);
  } finally {
    DOMAIN.free(from.ffi, domain);
  }
}

class Connection implements LibvirtConnection {
  readonly domains: DomainOperations;
  readonly networks: NetworkOperations;
  readonly nodeDevices: NodeDeviceOperations;
  readonly events: DomainEvents;
  readonly #session: Session;

  constructor(session: Session, readonly readOnly: boolean) {
    this.#session = session;
    this.domains = new Domains(session);
    this.networks = new Networks(session);
    this.nodeDevices = new NodeDevices(session);
    this.events = new SessionEvents(session);
    sessions.set(this, session);
  }

  get uri(): string {
    return this.#session.uri;
  }

  get closed(): boolean {
    return this.#session.closed;
  }

  libraryVersion(): Version {
    return versionFromNumber(this.#number((ffi, conn, out) => ffi.virConnectGetLibVersion(conn, out), 'report its version'));
  }

  hypervisorVersion(): Version | null {
    const n = this.#number((ffi, conn, out) => ffi.virConnectGetVersion(conn, out), 'report the hypervisor version');
    return n === 0 ? null : versionFromNumber(n);
  }

  hypervisorType(): string {
    const s = this.#session;
    return s.check(s.ffi.virConnectGetType(s.conn), `report the hypervisor type of ${s.uri}`);
  }

  hostname(): string {
    const s = this.#session;
    return s.check(s.ffi.virConnectGetHostname(s.conn), `report the host name of ${s.uri}`);
  }

  capabilities(): string {
    const s = this.#session;
    return s.check(s.ffi.virConnectGetCapabilities(s.conn), `report the host capabilities of ${s.uri}`);
  }

  domainCapabilities(query: DomainCapabilitiesQuery = {}): string {
    const s = this.#session;
    const xml = s.ffi.virConnectGetDomainCapabilities(
      s.conn, query.emulator ?? null, query.arch ?? null, query.machine ?? null, query.virtType ?? null, 0);
    return s.check(xml, `report the domain capabilities of ${s.uri}`);
  }

  alive(): boolean {
    const s = this.#session;
    if (s.closed) return false;
    const alive = s.ffi.virConnectIsAlive(s.conn);
    if (alive < 0) s.ffi.virResetLastError();
    return alive === 1;
  }

  close(): void {
    this.#session.close();
  }

  #number(get: (ffi: LibvirtFfi, conn: Session['conn'], out: [number]) => number, operation: string): number {
    const out: [number] = [0];
    this.#session.status(get(this.#session.ffi, this.#session.conn, out), operation);
    return out[0];
  }
}

/** The name of the inert network filter that says a host has virt-sriov (fleet/host-mark.ts). */
export const HOST_MARK_FILTER = 'virt-sriov';

/** Take virt-sriov's mark off the host behind `conn` (virt-sriov leaves it); whether it had it. */
export function removeHostMark(conn: LibvirtConnection): boolean {
  const s = sessions.get(conn)!;
  const found = s.ffi.virNWFilterLookupByName(s.conn as ConnectPtr, HOST_MARK_FILTER);
  if (found === null) {
    s.ffi.virResetLastError();
    return false;
  }
  try {
    s.status(s.ffi.virNWFilterUndefine(found), `undefine network filter ${HOST_MARK_FILTER} (virt-sriov's mark on ${s.uri})`);
  } finally {
    s.ffi.virNWFilterFree(found);
  }
  return true;
}

/** Whether the host behind `conn` carries virt-sriov's mark; define it with `define`. */
export function hostMark(conn: LibvirtConnection, define = false): boolean {
  const s = sessions.get(conn)!;
  const found = s.ffi.virNWFilterLookupByName(s.conn as ConnectPtr, HOST_MARK_FILTER);
  if (found !== null) {
    s.ffi.virNWFilterFree(found);
    return true;
  }
  s.ffi.virResetLastError();
  if (!define) return false;
  // a root-chain filter with no rules, referenced by nothing: it filters nothing
  const made = s.check(s.ffi.virNWFilterDefineXML(s.conn as ConnectPtr, `<filter name='${HOST_MARK_FILTER}' chain='root'/>`), `define network filter ${HOST_MARK_FILTER} (virt-sriov's mark on ${s.uri})`);
  s.ffi.virNWFilterFree(made);
  return true;
}
