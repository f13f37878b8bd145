/**
 * What every kind of named, defined libvirt object (a domain, a network) answers alike: look it up,
 * read its XML, tell whether it runs, list them, start, stop and undefine it, and the summary
 * libvirt gives of each. One kind differs from another only in its libvirt calls (NamedKind).
 */
import type { ArrayPtr, ConnectPtr, LibvirtFfi } from './ffi.js';
import type { ObjectKind, Session, StateFilter } from './session.js';

/** The calls one kind of named object is read and driven by (virDomain*, virNetwork*). */
export interface NamedKind<P extends bigint> extends ObjectKind<P> {
  /** virConnectListAll*'s flags for each filter. */
  readonly listFlags: Readonly<Record<StateFilter, number>>;
  listAll(ffi: LibvirtFfi, conn: ConnectPtr, out: [ArrayPtr | null], flags: number): number;
  xmlDesc(ffi: LibvirtFfi, object: P, flags: number): string | null;
  name(ffi: LibvirtFfi, object: P): string | null;
  uuid(ffi: LibvirtFfi, object: P, buf: Buffer): number;
  isActive(ffi: LibvirtFfi, object: P): number;
  isPersistent(ffi: LibvirtFfi, object: P): number;
  /** Start a defined one (virDomainCreate, virNetworkCreate). */
  create(ffi: LibvirtFfi, object: P): number;
  destroy(ffi: LibvirtFfi, object: P): number;
  undefine(ffi: LibvirtFfi, object: P): number;
}

/** The calls libvirt's C API has for each kind `K` of object `P`, named alike: virDomainGetName, virNetworkGetName. */
type KindCalls<K extends string, P> =
  & { [C in `vir${K}GetName`]: (object: P) => string | null }
  & { [C in `vir${K}GetXMLDesc`]: (object: P, flags: number) => string | null }
  & { [C in `vir${K}GetUUIDString`]: (object: P, buf: Buffer) => number }
  & { [C in `vir${K}${'IsActive' | 'IsPersistent' | 'Create' | 'Destroy' | 'Free'}`]: (object: P) => number }
  & { [C in `vir${K}LookupByName`]: (conn: ConnectPtr, name: string) => P | null }
  & { [C in `virConnectListAll${K}s`]: (conn: ConnectPtr, out: [ArrayPtr | null], flags: number) => number };

/**
 * A kind of object from its prefix in libvirt's C API ('Domain': virDomainLookupByName, ...), its
 * words, and what differs between kinds (undefine: virDomainUndefineFlags, virNetworkUndefine). A
 * prefix whose calls LibvirtFfi lacks, or declares for another pointer, does not type-check.
 */
export function namedKind<K extends string, P extends bigint>(
  prefix: LibvirtFfi extends KindCalls<K, P> ? K : never,
  own: Pick<NamedKind<P>, 'noun' | 'notFound' | 'listFlags' | 'undefine'>,
): NamedKind<P> {
  type Call = (...args: unknown[]) => unknown;
  const call = <R>(ffi: LibvirtFfi, name: string, ...args: unknown[]) => (ffi as unknown as Record<string, Call>)[name]!.apply(ffi, args) as R;
  return {
    ...own,
    lookup: (ffi, conn, name) => call(ffi, `vir${prefix}LookupByName`, conn, name),
    free: (ffi, object) => void call(ffi, `vir${prefix}Free`, object),
    listAll: (ffi, conn, out, flags) => call(ffi, `virConnectListAll${prefix}s`, conn, out, flags),
    xmlDesc: (ffi, object, flags) => call(ffi, `vir${prefix}GetXMLDesc`, object, flags),
    name: (ffi, object) => call(ffi, `vir${prefix}GetName`, object),
    uuid: (ffi, object, buf) => call(ffi, `vir${prefix}GetUUIDString`, object, buf),
    isActive: (ffi, object) => call(ffi, `vir${prefix}IsActive`, object),
    isPersistent: (ffi, object) => call(ffi, `vir${prefix}IsPersistent`, object),
    create: (ffi, object) => call(ffi, `vir${prefix}Create`, object),
    destroy: (ffi, object) => call(ffi, `vir${prefix}Destroy`, object),
  };
}

export interface NamedSummary {
  readonly name: string;
  readonly uuid: string;
  /** Running: it has a live definition as well as the persistent one. */
  readonly active: boolean;
  /** Defined (survives a stop), as opposed to transient. */
  readonly persistent: boolean;
}

export abstract class NamedObjects<P extends bigint, S extends NamedSummary> {
  constructor(protected readonly session: Session, private readonly kind: NamedKind<P>) {}

  undefine(name: string): void {
    this.act(name, `undefine ${this.kind.noun} ${name}`, (ffi, o) => this.kind.undefine(ffi, o));
  }

  /** null when there is none of that name. */
  lookup(name: string): S | null {
    const object = this.session.find(this.kind, name);
    return object === null ? null : this.session.adopt(this.kind, object, (o) => this.summarize(o, `look up ${this.kind.noun} ${name}`));
  }

  isActive(name: string): boolean {
    const operation = `tell whether ${this.kind.noun} ${name} is running`;
    return this.session.use(this.kind, name, operation, (o) => this.session.flag(this.kind.isActive(this.session.ffi, o), operation));
  }

  list(filter: StateFilter = 'all'): S[] {
    const { ffi } = this.session;
    const operation = `list ${filter === 'all' ? 'the' : filter} ${this.kind.noun}s`;
    return this.session.listAll(this.kind, (conn, out) => this.kind.listAll(ffi, conn, out, this.kind.listFlags[filter]),
      operation, (o) => this.summarize(o, operation));
  }

  start(name: string): void {
    this.act(name, `start ${this.kind.noun} ${name}`, (ffi, o) => this.kind.create(ffi, o));
  }

  destroy(name: string): void {
    this.act(name, `stop (destroy) ${this.kind.noun} ${name}`, (ffi, o) => this.kind.destroy(ffi, o));
  }

  /** Its XML with virGet*XMLDesc's `flags`. */
  protected readXml(name: string, flags: number): string {
    const operation = `read the XML of ${this.kind.noun} ${name}`;
    return this.session.use(this.kind, name, operation, (o) => this.session.check(this.kind.xmlDesc(this.session.ffi, o, flags), operation));
  }

  /** Summarize the object a define call just handed over, and free it. */
  protected adoptDefined(object: P | null, operation: string): S {
    return this.session.adopt(this.kind, this.session.check(object, operation), (o) => this.summarize(o, operation));
  }

  /** One call on the object `name` that answers 0 or -1. */
  protected act(name: string, operation: string, call: (ffi: LibvirtFfi, object: P) => number): void {
    this.session.use(this.kind, name, operation, (o) => this.session.status(call(this.session.ffi, o), operation));
  }

  protected abstract summarize(object: P, operation: string): S;

  /** What libvirt says of every kind of object: name, UUID, running, persistent. */
  protected summary(object: P, operation: string): NamedSummary {
    const { ffi } = this.session;
    return {
      name: this.session.check(this.kind.name(ffi, object), operation),
      uuid: this.session.uuid((buf) => this.kind.uuid(ffi, object, buf), operation),
      active: this.session.flag(this.kind.isActive(ffi, object), operation),
      persistent: this.session.flag(this.kind.isPersistent(ffi, object), operation),
    };
  }
}
