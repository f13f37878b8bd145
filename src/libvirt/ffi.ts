/**
 * The raw C API of libvirt.so, declared through koffi. This is the only module that talks to
 * koffi; everything above it sees typed functions and branded pointers.
 *
 * Ownership, as libvirt documents it: `char *` results are the caller's to free() (declared
 * here as `heapString`, which koffi frees right after copying into a JS string); `const char *`
 * results belong to libvirt (or to the object they came from) and are only copied; object
 * pointers and the arrays of the virConnectListAll* calls are freed by the callers of this
 * module, with the matching vir*Free and `free`.
 */
import { createRequire } from 'node:module';
import type { LibraryHandle, TypeObject } from 'koffi';
import { OperationError } from '../errors.js';

type Koffi = typeof import('koffi').default;
let koffiModule: Koffi | undefined;
/**
 * koffi, loaded on first use through require: commands that don't talk to libvirt don't pay
 * for it, its CommonJS entry runs on node 18, and the CLI bundle leaves it outside (it has a
 * native part) to be found in node_modules beside the bundle.
 */
function koffi(): Koffi {
  return (koffiModule ??= createRequire(import.meta.url)('koffi') as Koffi);
}

/** Pointers are BigInts in koffi 3; the brand keeps a domain from being passed as a network. */
export type ConnectPtr = bigint & { readonly __libvirt: 'virConnect' };
export type DomainPtr = bigint & { readonly __libvirt: 'virDomain' };
export type NetworkPtr = bigint & { readonly __libvirt: 'virNetwork' };
export type NodeDevicePtr = bigint & { readonly __libvirt: 'virNodeDevice' };
export type NWFilterPtr = bigint & { readonly __libvirt: 'virNWFilter' };
/** A JS function registered as a C function pointer (koffi.register). */
export type CallbackPtr = bigint & { readonly __libvirt: 'callback' };
/** A malloc'ed C array of object pointers, as virConnectListAll* return them. */
export type ArrayPtr = bigint & { readonly __libvirt: 'array' };

/** The fields of libvirt's `virError` that mean something to a caller. */
export interface RawError {
  readonly code: number;
  readonly domain: number;
  readonly level: number;
  readonly message: string | null;
}

/** A one-element array: koffi's way to pass an out-parameter. */
type Out<T> = [T];

type Callbacks = 'deviceEventCallback' | 'lifecycleEventCallback' | 'timeoutCallback' | 'unregisterCallback';

export interface LibvirtFfi {
  readonly libraryPath: string;

  // Library and errors
  virGetVersion(libVer: Out<number>, type: null, typeVer: null): number;
  virGetLastError(): RawError | null;
  virResetLastError(): void;

  // Connections
  virConnectOpen(uri: string | null): ConnectPtr | null;
  virConnectOpenReadOnly(uri: string | null): ConnectPtr | null;
  virConnectClose(conn: ConnectPtr): number;
  virConnectGetURI(conn: ConnectPtr): string | null;
  virConnectGetLibVersion(conn: ConnectPtr, libVer: Out<number>): number;
  virConnectGetVersion(conn: ConnectPtr, hvVer: Out<number>): number;
  virConnectGetType(conn: ConnectPtr): string | null;
  virConnectGetHostname(conn: ConnectPtr): string | null;
  virConnectGetCapabilities(conn: ConnectPtr): string | null;
  virConnectGetDomainCapabilities(
    conn: ConnectPtr, emulatorbin: string | null, arch: string | null, machine: string | null,
    virttype: string | null, flags: number,
  ): string | null;

  // Domains
  virConnectListAllDomains(conn: ConnectPtr, domains: Out<ArrayPtr | null>, flags: number): number;
  virDomainDefineXMLFlags(conn: ConnectPtr, xml: string, flags: number): DomainPtr | null;
  virDomainLookupByName(conn: ConnectPtr, name: string): DomainPtr | null;
  virDomainUndefineFlags(domain: DomainPtr, flags: number): number;
  virDomainGetName(domain: DomainPtr): string | null;
  virDomainGetUUIDString(domain: DomainPtr, buf: Buffer): number;
  virDomainGetXMLDesc(domain: DomainPtr, flags: number): string | null;
  virDomainIsActive(domain: DomainPtr): number;
  virDomainIsPersistent(domain: DomainPtr): number;
  virDomainCreate(domain: DomainPtr): number;
  virDomainDestroy(domain: DomainPtr): number;
  virDomainFree(domain: DomainPtr): number;
  virDomainAttachDeviceFlags(domain: DomainPtr, xml: string, flags: number): number;
  virDomainDetachDeviceFlags(domain: DomainPtr, xml: string, flags: number): number;
  virDomainSuspend(domain: DomainPtr): number;
  virDomainResume(domain: DomainPtr): number;
  virDomainAbortJob(domain: DomainPtr): number;
  virDomainGetState(domain: DomainPtr, state: Out<number>, reason: Out<number>, flags: number): number;
  virDomainSetMetadata(domain: DomainPtr, type: number, metadata: string | null, key: string | null, uri: string | null, flags: number): number;
  /**
   * virDomainMigrate2, run on a worker thread (koffi's async call): a migration takes seconds
   * to minutes, and the caller keeps its event loop (a --timeout suspends the guest meanwhile).
   * libvirt's thread-local error is the worker's: read it with virConnGetLastError(source conn).
   */
  virDomainMigrate2Async(domain: DomainPtr, dconn: ConnectPtr, dxml: string | null, flags: number, dname: string | null, uri: string | null, bandwidth: number): Promise<DomainPtr | null>;
  /** The last error of a call on this connection from any thread (libvirt copies it there). */
  virConnGetLastError(conn: ConnectPtr): RawError | null;
  virConnResetLastError(conn: ConnectPtr): void;

  // Network filters: virt-sriov's mark on a host (fleet/host-mark.ts)
  virNWFilterLookupByName(conn: ConnectPtr, name: string): NWFilterPtr | null;
  virNWFilterDefineXML(conn: ConnectPtr, xml: string): NWFilterPtr | null;
  virNWFilterFree(filter: NWFilterPtr): number;
  virNWFilterUndefine(filter: NWFilterPtr): number;

  // Events: libvirt's default event loop, run by the caller in slices (events.ts)
  virEventRegisterDefaultImpl(): number;
  virEventRunDefaultImpl(): number;
  virEventAddTimeout(timeout: number, cb: CallbackPtr, opaque: null, ff: null): number;
  virConnectDomainEventRegisterAny(conn: ConnectPtr, domain: DomainPtr | null, eventID: number, cb: CallbackPtr, opaque: null, freecb: null): number;
  virConnectDomainEventDeregisterAny(conn: ConnectPtr, callbackID: number): number;
  virConnectIsAlive(conn: ConnectPtr): number;
  virConnectSetKeepAlive(conn: ConnectPtr, interval: number, count: number): number;
  /** A C function pointer that calls `f` (with the domain and the device alias) until unregistered. */
  deviceEventCallback(f: (domain: DomainPtr, alias: string) => void): CallbackPtr;
  lifecycleEventCallback(f: (domain: DomainPtr, event: number, detail: number) => void): CallbackPtr;
  timeoutCallback(f: () => void): CallbackPtr;
  unregisterCallback(cb: CallbackPtr): void;

  // Networks
  virConnectListAllNetworks(conn: ConnectPtr, networks: Out<ArrayPtr | null>, flags: number): number;
  virNetworkDefineXML(conn: ConnectPtr, xml: string): NetworkPtr | null;
  virNetworkLookupByName(conn: ConnectPtr, name: string): NetworkPtr | null;
  virNetworkUndefine(network: NetworkPtr): number;
  virNetworkGetName(network: NetworkPtr): string | null;
  virNetworkGetUUIDString(network: NetworkPtr, buf: Buffer): number;
  virNetworkGetXMLDesc(network: NetworkPtr, flags: number): string | null;
  virNetworkIsActive(network: NetworkPtr): number;
  virNetworkIsPersistent(network: NetworkPtr): number;
  virNetworkGetAutostart(network: NetworkPtr, autostart: Out<number>): number;
  virNetworkSetAutostart(network: NetworkPtr, autostart: number): number;
  virNetworkCreate(network: NetworkPtr): number;
  virNetworkDestroy(network: NetworkPtr): number;
  virNetworkFree(network: NetworkPtr): number;

  // Node devices
  virConnectListAllNodeDevices(conn: ConnectPtr, devices: Out<ArrayPtr | null>, flags: number): number;
  virNodeDeviceLookupByName(conn: ConnectPtr, name: string): NodeDevicePtr | null;
  virNodeDeviceGetName(device: NodeDevicePtr): string | null;
  virNodeDeviceGetParent(device: NodeDevicePtr): string | null;
  virNodeDeviceGetXMLDesc(device: NodeDevicePtr, flags: number): string | null;
  virNodeDeviceFree(device: NodeDevicePtr): number;

  /** The `count` pointers of a C array, without freeing anything. */
  readPointers<P extends bigint>(array: ArrayPtr, count: number): P[];
  /** libc free(), for the arrays libvirt hands over (libvirt allocates with g_malloc, i.e. malloc). */
  free(pointer: bigint): void;
}

/** The name the dynamic linker finds libvirt's client library by (Debian package libvirt0). */
export const DEFAULT_LIBRARY = 'libvirt.so.0';

/** `VIR_UUID_STRING_BUFLEN`: 36 characters and the NUL. */
export const UUID_STRING_BUFLEN = 37;

const PROTOTYPES: readonly string[] = [
  'int virGetVersion(_Out_ unsigned long *libVer, const char *type, _Out_ unsigned long *typeVer)',
  'virError *virGetLastError(void)',
  'void virResetLastError(void)',
  'void virSetErrorFunc(void *userData, virErrorFunc *handler)',

  'virConnect *virConnectOpen(const char *name)',
  'virConnect *virConnectOpenReadOnly(const char *name)',
  'int virConnectClose(virConnect *conn)',
  'virHeapString virConnectGetURI(virConnect *conn)',
  'int virConnectGetLibVersion(virConnect *conn, _Out_ unsigned long *libVer)',
  'int virConnectGetVersion(virConnect *conn, _Out_ unsigned long *hvVer)',
  'const char *virConnectGetType(virConnect *conn)',
  'virHeapString virConnectGetHostname(virConnect *conn)',
  'virHeapString virConnectGetCapabilities(virConnect *conn)',
  'virHeapString virConnectGetDomainCapabilities(virConnect *conn, const char *emulatorbin, const char *arch, const char *machine, const char *virttype, unsigned int flags)',

  'int virConnectListAllDomains(virConnect *conn, _Out_ void **domains, unsigned int flags)',
  'virDomain *virDomainDefineXMLFlags(virConnect *conn, const char *xml, unsigned int flags)',
  'virDomain *virDomainLookupByName(virConnect *conn, const char *name)',
  'int virDomainUndefineFlags(virDomain *domain, unsigned int flags)',
  'const char *virDomainGetName(virDomain *domain)',
  'int virDomainGetUUIDString(virDomain *domain, _Out_ uint8_t *buf)',
  'virHeapString virDomainGetXMLDesc(virDomain *domain, unsigned int flags)',
  'int virDomainIsActive(virDomain *domain)',
  'int virDomainIsPersistent(virDomain *domain)',
  'int virDomainCreate(virDomain *domain)',
  'int virDomainDestroy(virDomain *domain)',
  'int virDomainFree(virDomain *domain)',
  'int virDomainAttachDeviceFlags(virDomain *domain, const char *xml, unsigned int flags)',
  'int virDomainDetachDeviceFlags(virDomain *domain, const char *xml, unsigned int flags)',
  'int virDomainSuspend(virDomain *domain)',
  'int virDomainResume(virDomain *domain)',
  'int virDomainAbortJob(virDomain *domain)',
  'int virDomainGetState(virDomain *domain, _Out_ int *state, _Out_ int *reason, unsigned int flags)',
  'int virDomainSetMetadata(virDomain *domain, int type, const char *metadata, const char *key, const char *uri, unsigned int flags)',
  'virDomain *virDomainMigrate2(virDomain *domain, virConnect *dconn, const char *dxml, unsigned long flags, const char *dname, const char *uri, unsigned long bandwidth)',
  'virError *virConnGetLastError(virConnect *conn)',
  'void virConnResetLastError(virConnect *conn)',

  'virNWFilter *virNWFilterLookupByName(virConnect *conn, const char *name)',
  'virNWFilter *virNWFilterDefineXML(virConnect *conn, const char *xmlDesc)',
  'int virNWFilterFree(virNWFilter *nwfilter)',
  'int virNWFilterUndefine(virNWFilter *nwfilter)',

  'int virEventRegisterDefaultImpl(void)',
  'int virEventRunDefaultImpl(void)',
  'int virEventAddTimeout(int timeout, void *cb, void *opaque, void *ff)',
  'int virConnectDomainEventRegisterAny(virConnect *conn, virDomain *dom, int eventID, void *cb, void *opaque, void *freecb)',
  'int virConnectDomainEventDeregisterAny(virConnect *conn, int callbackID)',
  'int virConnectIsAlive(virConnect *conn)',
  'int virConnectSetKeepAlive(virConnect *conn, int interval, unsigned int count)',

  'int virConnectListAllNetworks(virConnect *conn, _Out_ void **networks, unsigned int flags)',
  'virNetwork *virNetworkDefineXML(virConnect *conn, const char *xml)',
  'virNetwork *virNetworkLookupByName(virConnect *conn, const char *name)',
  'int virNetworkUndefine(virNetwork *network)',
  'const char *virNetworkGetName(virNetwork *network)',
  'int virNetworkGetUUIDString(virNetwork *network, _Out_ uint8_t *buf)',
  'virHeapString virNetworkGetXMLDesc(virNetwork *network, unsigned int flags)',
  'int virNetworkIsActive(virNetwork *network)',
  'int virNetworkIsPersistent(virNetwork *network)',
  'int virNetworkGetAutostart(virNetwork *network, _Out_ int *autostart)',
  'int virNetworkSetAutostart(virNetwork *network, int autostart)',
  'int virNetworkCreate(virNetwork *network)',
  'int virNetworkDestroy(virNetwork *network)',
  'int virNetworkFree(virNetwork *network)',

  'int virConnectListAllNodeDevices(virConnect *conn, _Out_ void **devices, unsigned int flags)',
  'virNodeDevice *virNodeDeviceLookupByName(virConnect *conn, const char *name)',
  'const char *virNodeDeviceGetName(virNodeDevice *device)',
  'const char *virNodeDeviceGetParent(virNodeDevice *device)',
  'virHeapString virNodeDeviceGetXMLDesc(virNodeDevice *device, unsigned int flags)',
  'int virNodeDeviceFree(virNodeDevice *device)',
];

const pointerSize = () => koffi().sizeof('void *');

const loaded = new Map<string, LibvirtFfi>();

/**
 * libvirt's C API, loaded on first use and kept for the life of the process. `libraryPath`
 * is for tests and unusual installs; the default is found by the dynamic linker.
 */
export function loadLibvirt(libraryPath: string = DEFAULT_LIBRARY): LibvirtFfi {
  const cached = loaded.get(libraryPath);
  if (cached) return cached;
  const ffi = bind(libraryPath);
  loaded.set(libraryPath, ffi);
  return ffi;
}

function bind(libraryPath: string): LibvirtFfi {
  const { lib, types } = open(libraryPath);
  const fns: Record<string, (...args: unknown[]) => unknown> = {};
  for (const prototype of PROTOTYPES) {
    const name = /(\w+)\(/.exec(prototype)![1]!;
    try {
      fns[name] = lib.func(prototype);
    } catch (e) {
      throw new OperationError(
        `${libraryPath} has no function ${name}: this libvirt is too old or not libvirt (${(e as Error).message})`,
        'install a libvirt of 1.2.7 or later: apt-get install libvirt0',
      );
    }
  }
  const getLastError = fns.virGetLastError!;
  const connGetLastError = fns.virConnGetLastError!;
  const migrate2 = fns.virDomainMigrate2! as unknown as { async(...args: unknown[]): void };
  const decodeError = (ptr: unknown) => (ptr === null ? null : (koffi().decode(ptr, types.virError) as RawError));
  // Without a handler, libvirt prints every error to stderr as well as returning it; the CLI
  // reports errors itself. The callback stays registered: libvirt keeps the pointer forever.
  fns.virSetErrorFunc!(null, types.silentErrorHandler);
  const register = (f: (...args: never[]) => unknown, proto: TypeObject) => koffi().register(f, koffi().pointer(proto)) as CallbackPtr;
  return {
    ...(fns as unknown as Omit<LibvirtFfi, 'libraryPath' | 'virGetLastError' | 'virConnGetLastError' | 'virDomainMigrate2Async' | 'readPointers' | 'free' | Callbacks>),
    libraryPath,
    virGetLastError: () => decodeError(getLastError()),
    virConnGetLastError: (conn) => decodeError(connGetLastError(conn)),
    virDomainMigrate2Async: (...args) => new Promise((resolve, reject) => {
      migrate2.async(...args, (err: unknown, result: DomainPtr | null) => (err ? reject(err as Error) : resolve(result)));
    }),
    readPointers: <P extends bigint>(array: ArrayPtr, count: number) => {
      // One element at a time: koffi().decode(ptr, type, count) declares an array type per
      // call, and koffi 3.3 keeps each one (some 18 bytes of C heap a call, never freed).
      const pointers: P[] = [];
      for (let i = 0; i < count; i++) pointers.push(koffi().decode(array, i * pointerSize(), 'void *') as P);
      return pointers;
    },
    free: (pointer: bigint) => koffi().free(pointer),
    deviceEventCallback: (f) => register((conn: unknown, d: DomainPtr, alias: string) => f(d, alias), types.deviceEvent),
    lifecycleEventCallback: (f) => register((conn: unknown, d: DomainPtr, event: number, detail: number) => {
      f(d, event, detail);
      return 0;
    }, types.lifecycleEvent),
    timeoutCallback: (f) => register(f, types.timeout),
    unregisterCallback: (cb) => koffi().unregister(cb),
  };
}

function open(libraryPath: string) {
  let lib: LibraryHandle;
  try {
    lib = koffi().load(libraryPath);
  } catch (e) {
    throw new OperationError(
      `cannot load libvirt's client library ${libraryPath}: ${(e as Error).message}`,
      'install it: apt-get install libvirt0',
    );
  }
  return { lib, types: declareTypes() };
}

interface Types {
  readonly virError: TypeObject;
  readonly silentErrorHandler: bigint;
  readonly deviceEvent: TypeObject;
  readonly lifecycleEvent: TypeObject;
  readonly timeout: TypeObject;
}

let types: Types | undefined;

function declareTypes(): Types {
  if (types) return types;
  for (const name of ['virConnect', 'virDomain', 'virNetwork', 'virNodeDevice', 'virNWFilter']) named(name, () => koffi().opaque(name));
  // Copied into a JS string, then free()d: for every `char *` libvirt says the caller must free.
  named('virHeapString', () => koffi().disposable('virHeapString', 'str'));
  const virError = named('virError', () => koffi().struct('virError', {
    code: 'int',
    domain: 'int',
    message: 'const char *',
    level: 'int',
    conn: 'void *',
    dom: 'void *',
    str1: 'const char *',
    str2: 'const char *',
    str3: 'const char *',
    int1: 'int',
    int2: 'int',
    net: 'void *',
  }));
  const handler = named('virErrorFunc', () => koffi().proto('void virErrorFunc(void *userData, virError *error)'));
  const silentErrorHandler = koffi().register(() => {}, koffi().pointer(handler));
  // virConnectDomainEventDeviceRemovedCallback, ...DeviceAddedCallback, ...DeviceRemovalFailedCallback
  const deviceEvent = named('virDomainEventDeviceCallback', () => koffi().proto('void virDomainEventDeviceCallback(void *conn, void *dom, const char *devAlias, void *opaque)'));
  const lifecycleEvent = named('virDomainEventLifecycleCallback', () => koffi().proto('int virDomainEventLifecycleCallback(void *conn, void *dom, int event, int detail, void *opaque)'));
  const timeout = named('virEventTimeoutCallback', () => koffi().proto('void virEventTimeoutCallback(int timer, void *opaque)'));
  types = { virError, silentErrorHandler, deviceEvent, lifecycleEvent, timeout };
  return types;
}

/**
 * koffi's type names are global to the process and outlive this module, which a test runner
 * may evaluate more than once: a name already declared is reused.
 */
function named(name: string, declare: () => TypeObject): TypeObject {
  try {
    return koffi().type(name);
  } catch {
    return declare();
  }
}
