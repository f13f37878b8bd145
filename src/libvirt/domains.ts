/** Domains (guests) on a connection, by name. */
import { DeviceModifyFlag, DomainDefineFlag, DomainXmlFlag, ErrorCode, ListDomainsFlag } from './constants.js';
import { defineOperation } from './defined-name.js';
import type { DomainPtr } from './ffi.js';
import { namedKind, NamedObjects, type NamedSummary } from './named-objects.js';
import type { Session, StateFilter } from './session.js';

/** `active`: running or paused. */
export type DomainSummary = NamedSummary;

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
  /**
   * Replace the domain's <metadata> element of namespace `uri` (virDomainSetMetadata, an
   * element written with prefix `key`), or remove it (null).
   */
  setMetadata(name: string, uri: string, key: string, xml: string | null, target: DeviceTarget): void;
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

/** VIR_DOMAIN_METADATA_ELEMENT: metadata in a namespace of its own. */
const METADATA_ELEMENT = 2;

export const DOMAIN = namedKind<'Domain', DomainPtr>('Domain', {
  noun: 'domain',
  notFound: ErrorCode.NO_DOMAIN,
  listFlags: { all: 0, active: ListDomainsFlag.ACTIVE, inactive: ListDomainsFlag.INACTIVE },
  undefine: (ffi, domain) => ffi.virDomainUndefineFlags(domain, 0),
});

export class Domains extends NamedObjects<DomainPtr, DomainSummary> implements DomainOperations {
  constructor(session: Session) {
    super(session, DOMAIN);
  }

  define(xml: string, options: { readonly validate?: boolean } = {}): DomainSummary {
    const { ffi, conn } = this.session;
    const flags = options.validate ? DomainDefineFlag.VALIDATE : 0;
    return this.adoptDefined(ffi.virDomainDefineXMLFlags(conn, xml, flags), defineOperation('domain', xml));
  }

  xml(name: string, options: DomainXmlOptions = {}): string {
    return this.readXml(name, (options.inactive ? DomainXmlFlag.INACTIVE : 0) | (options.secure ? DomainXmlFlag.SECURE : 0)
      | (options.migratable ? DomainXmlFlag.MIGRATABLE : 0));
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

  setMetadata(name: string, uri: string, key: string, xml: string | null, target: DeviceTarget): void {
    this.act(name, `set the metadata of ${targetWords(target)} domain ${name}`,
      (ffi, d) => ffi.virDomainSetMetadata(d, METADATA_ELEMENT, xml, xml === null ? null : key, uri, deviceFlags(target)));
  }

  protected summarize(domain: DomainPtr, operation: string): DomainSummary {
    return this.summary(domain, operation);
  }
}
