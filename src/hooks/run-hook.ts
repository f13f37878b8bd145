/**
 * The entry point of every hook, installed or replayed with `virt-sriov hook`: read argv and
 * stdin, call the operation, write one log line, and exit as libvirt needs. Operations where a
 * failure would kill a running guest or help no one (reconnect, stopped, release, port-deleted,
 * daemon) never fail; prepare, start and port-created fail with a message the admin sees.
 *
 * Most calls have nothing to do (a guest without VFs, an operation we don't handle): this
 * module stays light, and the operations with their XML, process and lock libraries are loaded
 * (by the caller's loadOperations) only when triage says there is work: libvirt runs hooks on
 * every guest start and stop.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { isVirtSriovError, type VirtSriovError } from '../errors.js';
import type { IpTool } from '../host/ip.js';
import { appendLog } from '../log/hook-log.js';
import { HookReport, IGNORED, OK, type HookEnv, type HookOutcome } from './hook-env.js';
import { needsWork, NOTHING_TO_DO, operationRule } from './triage.js';

export type HookName = 'qemu' | 'network' | 'daemon';

export interface HookCall {
  readonly hook: HookName;
  /** libvirt's argv: object, operation, sub-operation, extra. */
  readonly argv: readonly string[];
  readonly readStdin: () => Promise<string>;
  readonly configPath: string | undefined;
  /** How the config is read (default: loadConfig); node's hook knows texts it validated before. */
  readonly loadConfig?: (path: string | undefined) => Config;
  /** An admin's `virt-sriov hook ...`, not libvirt's call: its log line says so. */
  readonly replay?: boolean;
  /**
   * The operations module, loaded only when a call has work: the installed hooks import it
   * from a file of its own, so a call with nothing to do never compiles it.
   */
  readonly loadOperations: () => Promise<typeof import('./operations.js')>;
}

export interface HookResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Parts of the host a test hands in instead of the ones the config names. */
/** The host a call acts on, for tests and benches: `ip` is the tool the VF port drives. */
export type HostOverrides = Partial<Pick<HookEnv, 'sysfs' | 'hostdevNetworks' | 'definedDomains'> & { ip: IpTool }>;

export async function runHook(call: HookCall, overrides: HostOverrides = {}): Promise<HookResult> {
  const started = Date.now();
  const [object = '-', op = '', subop = '-'] = call.argv;
  // the operations virt-sriov handles, and whether a failure may stop what libvirt is doing
  const rule = operationRule(call.hook, op);
  const mayFail = rule?.mayFail;
  const report = new HookReport();
  let config: Config | null = null;
  let outcome: HookOutcome;
  let error: VirtSriovError | Error | undefined;
  let stdout = '';
  let stdin = '';

  if (mayFail === undefined) {
    outcome = IGNORED;
  } else {
    try {
      stdin = await call.readStdin();
      config = (call.loadConfig ?? loadConfig)(call.configPath);
      if (needsWork(call.hook, op, stdin, { pfsConfigured: Object.keys(config.pfs).length > 0, vfsHeld: vfsHeld(config) })) {
        const { runOperation } = await call.loadOperations();
        outcome = await runOperation(call.hook, op, stdin, object, config, report, overrides);
      } else {
        // nothing to do; migrate/restore still hand libvirt its XML back
        outcome = NOTHING_TO_DO[call.hook] === 'ignored' ? IGNORED : rule?.echoesXml ? { ...OK, stdout: stdin } : OK;
      }
      stdout = outcome.stdout ?? '';
    } catch (e) {
      error = e as Error;
      outcome = { exitCode: mayFail ? 1 : 0, result: mayFail ? 'refused' : 'failed' };
      // migrate/restore: printing nothing leaves libvirt's XML as it was
    }
  }

  const message = error ? (isVirtSriovError(error) ? error.describe() : `internal error: ${error.message}`) : '';
  const logPath = config?.logFile ?? safeLogPath(call.configPath);
  try {
    appendLog(logPath, {
      time: new Date(started).toISOString(), hook: call.hook, op, subop, object,
      result: outcome.result, durationMs: Date.now() - started, vfs: [...report.vfs],
      changes: report.changes, notes: report.notes, ...(error ? { error: message } : {}), ...(call.replay ? { replay: true } : {}),
    });
  } catch {
    // a log we can't write must not stop a guest
  }
  return {
    exitCode: outcome.exitCode,
    stdout,
    stderr: error ? `virt-sriov: ${message}\n` : '',
  };
}

/** Whether any guest holds a VF now: stop and release have nothing to put back otherwise. */
function vfsHeld(config: Config): boolean {
  const dir = join(config.stateDir, 'vfs');
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json'));
}

/** The log path when the config itself could not be read. */
function safeLogPath(configPath: string | undefined): string {
  try {
    return loadConfig(configPath).logFile;
  } catch {
    return '/var/log/libvirt/virt-sriov.log';
  }
}
