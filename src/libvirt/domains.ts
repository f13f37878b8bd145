/** Domains (guests) on a connection, by name. */
import { DeviceModifyFlag, DomainDefineFlag, DomainXmlFlag, ErrorCode, ListDomainsFlag } from './constants.js';
import { defineOperation } from './defined-name.js';
import type { DomainPtr, LibvirtFfi } from './ffi.js';
import type { ObjectKind, Session, StateFilter } from './session.js';

export interface DomainSummary {
  readonly name: string;
  readonly uuid: string;
  /** Running (or paused): it has a live definition as well as the persistent one. */
  readonly active: boolean;
  /** Defined (survives a stop), as opposed to transient. */
  readonly persistent: boolean;
}

export interface DomainXmlOptions {
  /** The persistent definition (VIR_DOMAIN_XML_INACTIVE) rather than the running one. */
  readonly inactive?: boolean;
  /** Include secrets such as VNC passwords (VIR_DOMAIN_XML_SECURE; not on read-only connections). */
  readonly secure?: boolean;
  /** As a migration sends it (VIR_DOMAIN_XML_MIGRATABLE): what a destination XML starts from. */
  readonly migratable?: boolean;
}

export interface DomainOperations {
  /** Define (or redefine) a persistent domain; `validate` checks the XML against libvirt's schema first. */
  define(xml: string, options?: { readonly validate?: boolean }): DomainSummary;
  undefine(name: string): void;
  /** null when there is no domain of that name. */
  lookup(name: string): DomainSummary | null;
  xml(name: string, options?: DomainXmlOptions): string;
  isActive(name: string): boolean;
  list(filter?: StateFilter): DomainSummary[];
  /** Start a defined domain (virDomainCreate). */
  start(name: string): void;
  /** Stop a domain at once, like pulling the plug (virDomainDestroy). */
  destroy(name: string): void;
  /** Hot-plug a device (virDomainAttachDeviceFlags) into the running guest and/or its definition. */
  attachDevice(name: string, deviceXml: string, target: DeviceTarget): void;
  /**
   * Ask for a device's removal (virDomainDetachDeviceFlags). From a running guest the removal
   * completes when the guest OS acknowledges it: libvirt's `removed` device event says when.
   */
  detachDevice(name: string, deviceXml: string, target: DeviceTarget): void;
  /** Pause the guest's CPUs (virDomainSuspend); resume undoes it. */
  suspend(name: string): void;
  resume(name: string): void;
  /** Cancel the domain's running job, a migration say (virDomainAbortJob). */
  abortJob(name: string): void;
  /** `virDomainState` (DomainState): running, paused, shut off, ... */
  state(name: string): number;
}

/** Which definitions a device change is for: the running guest's, the persistent one, or both. */
export interface DeviceTarget {
  readonly live: boolean;
  readonly config: boolean;
}

function deviceFlags(t: DeviceTarget): number {
  return (t.live ? DeviceModifyFlag.LIVE : 0) | (t.config ? DeviceModifyFlag.CONFIG : 0);
}

function targetWords(t: DeviceTarget): string {
  return t.live && t.config ? 'the running guest and the definition of' : t.live ? 'the running guest' : 'the definition of';
}

export const DOMAIN: ObjectKind<DomainPtr> = {
  noun: 'domain',
  notFound: ErrorCode.NO_DOMAIN,
  lookup: (ffi, conn, name) => ffi.virDomainLookupByName(conn, name),
  free: (ffi, domain) => void ffi.virDomainFree(domain),
};

const LIST_FLAGS: Record<StateFilter, number> = {
  all: 0,
  active: ListDomainsFlag.ACTIVE,
  inactive: ListDomainsFlag.INACTIVE,
};

export class Domains implements DomainOperations {
  constructor(private readonly session: Session) {}

  define(xml: string, options: { readonly validate?: boolean } = {}): DomainSummary {
    const { ffi, conn } = this.session;
    const operation = defineOperation('domain', xml);
    const flags = options.validate ? DomainDefineFlag.VALIDATE : 0;
    const domain = this.session.check(ffi.virDomainDefineXMLFlags(conn, xml, flags), operation);
    return this.session.adopt(DOMAIN, domain, (d) => this.summarize(d, operation));
  }

  undefine(name: string): void {
    this.act(name, `undefine domain ${name}`, (ffi, d) => ffi.virDomainUndefineFlags(d, 0));
  }

  lookup(name: string): DomainSummary | null {
    const domain = this.session.find(DOMAIN, name);
    return domain === null ? null : this.session.adopt(DOMAIN, domain, (d) => this.summarize(d, `look up domain ${name}`));
  }

  xml(name: string, options: DomainXmlOptions = {}): string {
    const operation = `read the XML of domain ${name}`;
    const flags = (options.inactive ? DomainXmlFlag.INACTIVE : 0) | (options.secure ? DomainXmlFlag.SECURE : 0)
      | (options.migratable ? DomainXmlFlag.MIGRATABLE : 0);
    return this.session.use(DOMAIN, name, operation,
      (d) => this.session.check(this.session.ffi.virDomainGetXMLDesc(d, flags), operation));
  }

  isActive(name: string): boolean {
    const operation = `tell whether domain ${name} is running`;
    return this.session.use(DOMAIN, name, operation, (d) => this.session.flag(this.session.ffi.virDomainIsActive(d), operation));
  }

  list(filter: StateFilter = 'all'): DomainSummary[] {
    const { ffi } = this.session;
    const operation = `list ${filter === 'all' ? 'the' : filter} domains`;
    return this.session.listAll(DOMAIN, (conn, out) => ffi.virConnectListAllDomains(conn, out, LIST_FLAGS[filter]),
      operation, (d) => this.summarize(d, operation));
  }

  start(name: string): void {
    this.act(name, `start domain ${name}`, (ffi, d) => ffi.virDomainCreate(d));
  }

  destroy(name: string): void {
    this.act(name, `stop (destroy) domain ${name}`, (ffi, d) => ffi.virDomainDestroy(d));
  }

  attachDevice(name: string, deviceXml: string, target: DeviceTarget): void {
    this.act(name, `attach a device to ${targetWords(target)} domain ${name}`, (ffi, d) => ffi.virDomainAttachDeviceFlags(d, deviceXml, deviceFlags(target)));
  }

  detachDevice(name: string, deviceXml: string, target: DeviceTarget): void {
    this.act(name, `detach a device from ${targetWords(target)} domain ${name}`, (ffi, d) => ffi.virDomainDetachDeviceFlags(d, deviceXml, deviceFlags(target)));
  }

  suspend(name: string): void {
    this.act(name, `suspend domain ${name}`, (ffi, d) => ffi.virDomainSuspend(d));
  }

  resume(name: string): void {
    this.act(name, `resume domain ${name}`, (ffi, d) => ffi.virDomainResume(d));
  }

  abortJob(name: string): void {
    this.act(name, `abort the job of domain ${name}`, (ffi, d) => ffi.virDomainAbortJob(d));
  }

  state(name: string): number {
    const state: [number] = [0];
    this.act(name, `read the state of domain ${name}`, (ffi, d) => ffi.virDomainGetState(d, state, [0], 0));
    return state[0];
  }

  /** One call on the domain `name` that answers 0 or -1. */
  private act(name: string, operation: string, call: (ffi: LibvirtFfi, domain: DomainPtr) => number): void {
    this.session.use(DOMAIN, name, operation, (d) => this.session.status(call(this.session.ffi, d), operation));
  }

  private summarize(domain: DomainPtr, operation: string): DomainSummary {
    const { ffi } = this.session;
    return {
      name: this.session.check(ffi.virDomainGetName(domain), operation),
      uuid: this.session.uuid((buf) => ffi.virDomainGetUUIDString(domain, buf), operation),
      active: this.session.flag(ffi.virDomainIsActive(domain), operation),
      persistent: this.session.flag(ffi.virDomainIsPersistent(domain), operation),
    };
  }
}
