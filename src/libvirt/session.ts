/**
 * One open connection and the rules every call on it follows: check libvirt's failure value
 * right after the call (before anything can overwrite the thread's last error), and free each
 * object libvirt hands over as soon as the method that asked for it is done, errors included.
 */
import { OperationError } from '../errors.js';
import { lastError } from './error.js';
import { UUID_STRING_BUFLEN, type ArrayPtr, type ConnectPtr, type LibvirtFfi } from './ffi.js';

/** Which objects a list returns: running ones, defined but stopped ones, or both. */
export type StateFilter = 'all' | 'active' | 'inactive';

/** How to find and release one kind of libvirt object (virDomain, virNetwork, ...). */
export interface ObjectKind<P extends bigint> {
  /** "domain", "network", "node device": for messages. */
  readonly noun: string;
  /** The `virErrorNumber` libvirt raises when no object has that name. */
  readonly notFound: number;
  lookup(ffi: LibvirtFfi, conn: ConnectPtr, name: string): P | null;
  free(ffi: LibvirtFfi, object: P): void;
}

/** Filled and read within one synchronous call, so one buffer serves every call. */
const uuidBuffer = Buffer.alloc(UUID_STRING_BUFLEN);

export class Session {
  #conn: ConnectPtr | null;

  constructor(
    readonly ffi: LibvirtFfi,
    conn: ConnectPtr,
    readonly uri: string,
  ) {
    this.#conn = conn;
  }

  get closed(): boolean {
    return this.#conn === null;
  }

  /** The connection, for a call about to be made on it. */
  get conn(): ConnectPtr {
    if (this.#conn === null) {
      throw new OperationError(`the libvirt connection to ${this.uri} is closed`, 'open a new connection');
    }
    return this.#conn;
  }

  close(): void {
    if (this.#conn === null) return;
    const conn = this.#conn;
    this.#conn = null;
    // The result is libvirt's count of references still held (by objects not yet freed); a
    // failure leaves nothing the caller could do, so neither is reported.
    this.ffi.virConnectClose(conn);
    this.ffi.virResetLastError();
  }

  /** A NULL result (object, string) means the call failed: throw its error. */
  check<T>(result: T | null, operation: string): T {
    if (result === null) throw lastError(this.ffi, operation);
    return result;
  }

  /** A negative status means the call failed: throw its error. */
  status(result: number, operation: string): number {
    if (result < 0) throw lastError(this.ffi, operation);
    return result;
  }

  /** Boolean queries (virDomainIsActive etc.) answer 1, 0 or -1 for an error. */
  flag(result: number, operation: string): boolean {
    return this.status(result, operation) === 1;
  }

  /** The object named `name`, or null if there is none; any other failure throws. */
  find<P extends bigint>(kind: ObjectKind<P>, name: string): P | null {
    const object = kind.lookup(this.ffi, this.conn, name);
    if (object !== null) return object;
    const error = lastError(this.ffi, `look up ${kind.noun} ${name}`);
    if (error.code === kind.notFound) return null;
    throw error;
  }

  /** Look `name` up (failing as `operation` would), run `use` on it, and free it. */
  use<P extends bigint, T>(kind: ObjectKind<P>, name: string, operation: string, use: (object: P) => T): T {
    const object = this.check(kind.lookup(this.ffi, this.conn, name), operation);
    return this.adopt(kind, object, use);
  }

  /** Run `use` on an object libvirt just handed over, and free it. */
  adopt<P extends bigint, T>(kind: ObjectKind<P>, object: P, use: (object: P) => T): T {
    try {
      return use(object);
    } finally {
      kind.free(this.ffi, object);
    }
  }

  /**
   * Call a virConnectListAll* function and read each object it returns; every object, and
   * the array, is freed whether or not reading them succeeds.
   */
  listAll<P extends bigint, T>(
    kind: ObjectKind<P>,
    list: (conn: ConnectPtr, out: [ArrayPtr | null]) => number,
    operation: string,
    read: (object: P) => T,
  ): T[] {
    const out: [ArrayPtr | null] = [null];
    const count = this.status(list(this.conn, out), operation);
    const array = out[0];
    if (array === null) return [];
    const objects = this.ffi.readPointers<P>(array, count);
    try {
      return objects.map(read);
    } finally {
      for (const object of objects) kind.free(this.ffi, object);
      this.ffi.free(array);
    }
  }

  /** A UUID through one of libvirt's `GetUUIDString(object, char buf[VIR_UUID_STRING_BUFLEN])` calls. */
  uuid(get: (buf: Buffer) => number, operation: string): string {
    const buf = uuidBuffer.fill(0);
    this.status(get(buf), operation);
    const end = buf.indexOf(0);
    return buf.toString('latin1', 0, end < 0 ? buf.length : end);
  }
}
