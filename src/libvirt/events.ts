/**
 * libvirt's domain events (a device added or removed, a guest started or stopped), through
 * libvirt's own default event loop. The loop must be registered before a connection opens (a
 * connection opened before has no events), and it runs only while the caller runs it: `run`
 * turns it in slices on node's thread, a tick at most SLICE_MS long, so the rest of the process
 * (timers, child processes) goes on between slices. A handler runs inside a slice.
 */
import { DomainEventId } from './constants.js';
import { lastError } from './error.js';
import type { CallbackPtr, DomainPtr, LibvirtFfi } from './ffi.js';
import type { Session } from './session.js';

/** How long one turn of libvirt's loop may block node's thread (a libvirt timer wakes it). */
export const SLICE_MS = 50;

export type DeviceEventKind = 'added' | 'removed' | 'removal-failed';

export interface DeviceEvent {
  readonly kind: DeviceEventKind;
  readonly domain: string;
  /** libvirt's alias of the device (hostdev0, net1, ua-...): the live XML's <alias name>. */
  readonly alias: string;
}

export interface LifecycleEventData {
  readonly domain: string;
  /** `virDomainEventType` (LifecycleEvent). */
  readonly event: number;
  readonly detail: number;
}

export interface DomainEvents {
  /** Call `handler` for every device event of every domain until the returned function is called. */
  onDevice(handler: (e: DeviceEvent) => void): () => void;
  onLifecycle(handler: (e: LifecycleEventData) => void): () => void;
  /** Run libvirt's event loop for up to `ms`, or until `until()` says so (checked after each slice). */
  run(ms: number, until?: () => boolean): Promise<void>;
}

const loops = new WeakMap<LibvirtFfi, { timer: CallbackPtr }>();

/** Register libvirt's default event loop in this process, once; before the first connection that wants events. */
export function enableEventLoop(ffi: LibvirtFfi): void {
  if (loops.has(ffi)) return;
  if (ffi.virEventRegisterDefaultImpl() < 0) throw lastError(ffi, 'set up its event loop');
  // a timer that fires every slice, so each turn of the loop returns to node in time
  const timer = ffi.timeoutCallback(() => {});
  if (ffi.virEventAddTimeout(SLICE_MS, timer, null, null) < 0) throw lastError(ffi, 'add a timer to its event loop');
  loops.set(ffi, { timer });
}

const DEVICE_EVENTS: readonly [DeviceEventKind, number][] = [
  ['added', DomainEventId.DEVICE_ADDED], ['removed', DomainEventId.DEVICE_REMOVED], ['removal-failed', DomainEventId.DEVICE_REMOVAL_FAILED],
];

export class SessionEvents implements DomainEvents {
  constructor(private readonly session: Session) {}

  onDevice(handler: (e: DeviceEvent) => void): () => void {
    const undo = DEVICE_EVENTS.map(([kind, id]) => this.subscribe(id, kind,
      (ffi) => ffi.deviceEventCallback((d, alias) => handler({ kind, domain: this.nameOf(d), alias }))));
    return () => undo.forEach((u) => u());
  }

  onLifecycle(handler: (e: LifecycleEventData) => void): () => void {
    return this.subscribe(DomainEventId.LIFECYCLE, 'lifecycle',
      (ffi) => ffi.lifecycleEventCallback((d, event, detail) => handler({ domain: this.nameOf(d), event, detail })));
  }

  async run(ms: number, until: () => boolean = () => false): Promise<void> {
    const { ffi } = this.session;
    if (!loops.has(ffi)) throw new Error('libvirt events: the connection was opened without { events: true }');
    const end = Date.now() + ms;
    while (!until() && Date.now() < end) {
      if (ffi.virEventRunDefaultImpl() < 0) throw lastError(ffi, 'run its event loop');
      // node's own events (timers, pipes) between two turns of libvirt's loop
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private nameOf(d: DomainPtr): string {
    return this.session.ffi.virDomainGetName(d) ?? '?';
  }

  private subscribe(id: number, what: string, make: (ffi: LibvirtFfi) => CallbackPtr): () => void {
    const { ffi } = this.session;
    if (!loops.has(ffi)) throw new Error('libvirt events: the connection was opened without { events: true }');
    const cb = make(ffi);
    const handle = ffi.virConnectDomainEventRegisterAny(this.session.conn, null, id, cb, null, null);
    if (handle < 0) {
      ffi.unregisterCallback(cb);
      throw lastError(ffi, `subscribe to domain ${what} events`);
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (!this.session.closed) ffi.virConnectDomainEventDeregisterAny(this.session.conn, handle);
      ffi.virResetLastError();
      ffi.unregisterCallback(cb);
    };
  }
}
