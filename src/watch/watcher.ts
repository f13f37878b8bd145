/**
 * The watcher's loop: a libvirt client like virsh (never called from a hook), subscribed to
 * domain events. An event only says which guest to look at again; what to do is decided from
 * the guest's live XML and the state (reconcile.ts), so an event lost or sent twice costs
 * nothing. At every (re)connect it looks at every running guest first: what happened while it
 * was down, or while libvirtd restarted, is caught up. When libvirtd goes away it connects again.
 */
import { LifecycleEvent } from '../libvirt/index.js';

/** What the loop needs of one libvirt connection. */
export interface WatchedConnection {
  /** Names of the running guests. */
  running(): string[];
  /** The guest's live XML; null when it doesn't run (any more). */
  liveXml(domain: string): string | null;
  /** Call `handler` with the domain's name on every device and lifecycle event, until the returned function is called. */
  onEvent(handler: (domain: string, event: WatchEvent) => void): () => void;
  /** Run libvirt's event loop for up to `ms`, or until `until()`. */
  run(ms: number, until: () => boolean): Promise<void>;
  alive(): boolean;
  close(): void;
}

export type WatchEvent = 'device-added' | 'device-removed' | 'device-removal-failed' | 'started' | 'stopped' | 'other';

/**
 * Why the watcher looks at a guest: the operation of its log line, and so a label of the hook-call
 * metrics. A fixed vocabulary, so the label set stays bounded; what varies (which PF came back)
 * goes in `detail`, the line's subop.
 */
export type WatchReason = Exclude<WatchEvent, 'stopped' | 'other'> | 'connected' | 'sighup' | 'pf-up' | 'pf-monitor-restarted';

export interface WhyLook {
  readonly reason: WatchReason;
  readonly detail?: string;
}

export interface WatchDeps {
  /** Open a connection with events; throws when libvirtd can't be reached. */
  connect(): WatchedConnection;
  /** Reconcile one running guest from its live XML (acts and logs). Must not throw. */
  reconcile(domain: string, xml: string, why: WhyLook): Promise<void>;
  /** A line for the admin (stderr, journald). */
  say(line: string): void;
  sleep(ms: number): Promise<void>;
}

export interface WatchOptions {
  /** How long to wait before connecting again after libvirtd went away or could not be reached. */
  readonly retryMs: number;
  /** How long one turn of the loop waits for an event before checking the connection. */
  readonly pollMs: number;
}

export const WATCH_DEFAULTS: WatchOptions = { retryMs: 2000, pollMs: 1000 };

/** Lifecycle events after which a guest's VFs are worth a look: it runs (again) with its devices. */
export function eventOf(kind: 'added' | 'removed' | 'removal-failed' | number): WatchEvent {
  if (kind === 'added') return 'device-added';
  if (kind === 'removed') return 'device-removed';
  if (kind === 'removal-failed') return 'device-removal-failed';
  if (kind === LifecycleEvent.STARTED || kind === LifecycleEvent.RESUMED) return 'started';
  if (kind === LifecycleEvent.STOPPED) return 'stopped';
  return 'other';
}

export class Watcher {
  #stopped = false;
  /** Domains to look at, with why; '*' is every running guest. */
  readonly #queue = new Map<string, WhyLook>();
  #wake: (() => void) | null = null;

  constructor(private readonly deps: WatchDeps, private readonly options: WatchOptions = WATCH_DEFAULTS) {}

  /** Look at every running guest again (a PF came back, a signal): from outside the loop. */
  lookAgain(reason: WatchReason, detail?: string): void {
    this.#queue.set('*', detail === undefined ? { reason } : { reason, detail });
    this.#wake?.();
  }

  /** The PF link monitor saw `pf` come back up ('*': the monitor itself started again, and may have missed some). */
  pfBack(pf: string): void {
    if (pf === '*') this.lookAgain('pf-monitor-restarted');
    else this.lookAgain('pf-up', pf);
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async run(): Promise<void> {
    let unreachable = false;
    while (!this.#stopped) {
      let conn: WatchedConnection;
      try {
        conn = this.deps.connect();
      } catch (e) {
        if (!unreachable) this.deps.say(`cannot reach libvirtd: ${(e as Error).message}; trying again every ${this.options.retryMs / 1000} s`);
        unreachable = true;
        await this.#pause(this.options.retryMs);
        continue;
      }
      if (unreachable) this.deps.say('libvirtd is back');
      unreachable = false;
      await this.#serve(conn);
      if (!this.#stopped) {
        this.deps.say('lost the connection to libvirtd (restarted?); connecting again, then looking at every running guest');
        await this.#pause(this.options.retryMs);
      }
    }
  }

  async #serve(conn: WatchedConnection): Promise<void> {
    const unsubscribe = conn.onEvent((domain, event) => {
      if (event === 'other' || event === 'stopped') return; // a stopped guest's VFs are the qemu hook's
      if (!this.#queue.has(domain)) this.#queue.set(domain, { reason: event });
    });
    try {
      // subscribed first, then every running guest: nothing that happens in between is missed
      this.#queue.set('*', { reason: 'connected' });
      while (!this.#stopped && conn.alive()) {
        await this.#drain(conn);
        if (this.#stopped) break;
        await this.#waitOn(conn);
      }
    } finally {
      try {
        unsubscribe();
      } finally {
        conn.close();
      }
    }
  }

  async #drain(conn: WatchedConnection): Promise<void> {
    while (this.#queue.size && !this.#stopped) {
      const all = this.#queue.get('*');
      let work: [string, WhyLook][];
      if (all !== undefined) {
        this.#queue.clear();
        work = conn.running().map((d) => [d, all]);
      } else {
        work = [...this.#queue];
        this.#queue.clear();
      }
      for (const [domain, why] of work) {
        let xml: string | null;
        try {
          xml = conn.liveXml(domain);
        } catch (e) {
          if (!conn.alive()) return;
          this.deps.say(`could not read the live XML of ${domain}: ${(e as Error).message}`);
          continue;
        }
        if (xml !== null) await this.deps.reconcile(domain, xml, why);
      }
    }
  }

  /** Turn libvirt's loop until an event queues work, someone pokes us, or pollMs passes. */
  async #waitOn(conn: WatchedConnection): Promise<void> {
    let poked = false;
    this.#wake = () => (poked = true);
    try {
      await conn.run(this.options.pollMs, () => poked || this.#queue.size > 0 || this.#stopped);
    } finally {
      this.#wake = null;
    }
  }

  async #pause(ms: number): Promise<void> {
    if (this.#stopped) return;
    let resolveWake!: () => void;
    const woken = new Promise<void>((resolve) => (resolveWake = resolve));
    this.#wake = resolveWake;
    try {
      await Promise.race([this.deps.sleep(ms), woken]);
    } finally {
      this.#wake = null;
    }
  }
}
