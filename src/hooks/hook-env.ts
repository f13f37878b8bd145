/** What a hook works with: the config, the host behind its interfaces, the state, and a record of what it did. */
import type { Config } from '../config/config.js';
import type { VfPort } from '../host/vf-port.js';
import type { Sysfs } from '../host/sysfs.js';
import type { LoggedChange, RepairedDrift } from '../log/hook-log.js';
import type { StateStore } from '../state/state-store.js';

export interface HookEnv {
  readonly config: Config;
  readonly sysfs: Sysfs;
  /** Every read and change of a VF goes through it (src/host/vf-port.ts). */
  readonly vfPort: VfPort;
  readonly state: StateStore;
  /** Hostdev networks defined in libvirt (read from its files: a hook must not call libvirt). */
  readonly hostdevNetworks: () => Set<string>;
  /** The XML of every defined domain (from libvirt's files, for the daemon hook's quirks). */
  readonly definedDomains: () => string[];
  readonly report: HookReport;
}

/** Collected during a call, written as the call's log line. */
export class HookReport {
  readonly changes: LoggedChange[] = [];
  readonly notes: string[] = [];
  readonly vfs = new Set<string>();
  /** The watcher's repairs of drifted settings, for the log (and from it, the metrics). */
  readonly repaired: RepairedDrift[] = [];

  note(text: string): void {
    this.notes.push(text);
  }
}

/** How a hook ends: its exit code, and what libvirt shows the admin (stderr) or uses (stdout). */
export interface HookOutcome {
  readonly exitCode: number;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly result: 'ok' | 'refused' | 'failed' | 'ignored';
}

export const OK: HookOutcome = { exitCode: 0, result: 'ok' };
export const IGNORED: HookOutcome = { exitCode: 0, result: 'ignored' };
