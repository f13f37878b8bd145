/**
 * The CLI's changes to running guests' VFs (attach, detach, set with --live) go through the
 * hooks' own core (src/live, and the VF port of src/host/vf-port.ts) with the host the config names, and leave
 * one line in the hook log, as a hook call does: what changed on which VF, from what to what.
 */
import { HookReport, type HookEnv } from '../hooks/hook-env.js';
import { isVirtSriovError } from '../errors.js';
import { editLiveMetadata } from '../live/live-metadata.js';
import type { SriovMetadata } from '../xml/metadata.js';
import { definedHostdevNetworks } from '../host/libvirt-files.js';
import { ipVfPort } from '../host/vf-port.js';
import { appendLog } from '../log/hook-log.js';
import { stateStore } from '../state/state-store.js';
import type { CommandContext } from './command-context.js';

export interface LiveLogOptions {
  /** Who logs: `cli` (attach, detach, set) or `watch` (the watcher). */
  readonly hook?: 'cli' | 'watch';
  /** Leave no line for a call that changed, noted and failed nothing (the watcher's look at a guest that was fine). */
  readonly skipIdle?: boolean;
  /** The line's subop (default `live`): what varies within the operation, e.g. the PF that came back; never a metric label. */
  readonly subop?: string;
}

export async function withLiveEnv<T>(ctx: CommandContext, op: string, domain: string, f: (env: HookEnv) => Promise<T>, o: LiveLogOptions = {}): Promise<T> {
  const started = Date.now();
  const report = new HookReport();
  const env: HookEnv = {
    config: ctx.config, sysfs: ctx.host.sysfs, vfPort: ipVfPort(ctx.host.ip), state: stateStore(ctx.config.stateDir),
    hostdevNetworks: () => definedHostdevNetworks(), definedDomains: () => [], report,
  };
  let error: unknown;
  try {
    return await f(env);
  } catch (e) {
    error = e;
    throw e;
  } finally {
    const message = error === undefined ? undefined : isVirtSriovError(error) ? error.describe() : `internal error: ${(error as Error).message}`;
    const idle = error === undefined && report.changes.length === 0 && report.notes.length === 0;
    try {
      if (!(idle && o.skipIdle)) appendLog(ctx.config.logFile, {
        time: new Date(started).toISOString(), hook: o.hook ?? 'cli', op, subop: o.subop ?? 'live', object: domain,
        result: error === undefined ? 'ok' : 'failed', durationMs: Date.now() - started, vfs: [...report.vfs],
        changes: report.changes, notes: report.notes, ...(message ? { error: message } : {}),
        ...(report.repaired.length ? { repaired: report.repaired } : {}),
      });
    } catch (e) {
      ctx.note(`could not write the log ${ctx.config.logFile}: ${(e as Error).message}`);
    }
    for (const n of report.notes) ctx.note(n);
  }
}

/**
 * The running guest's metadata kept in step with a change its VF has had already
 * (live-metadata.ts): a failure to write it is a note saying what the live XML still shows.
 */
export function keepLiveMetadata(ctx: CommandContext, name: string, edit: (metadata: SriovMetadata) => boolean, stale: string): void {
  try {
    editLiveMetadata(ctx.libvirt, name, edit);
  } catch (e) {
    ctx.note(`domain ${name}: ${stale} (${(e as Error).message})`);
  }
}
