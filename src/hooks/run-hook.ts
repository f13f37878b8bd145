/**
 * The entry point of every hook, installed or replayed with `virt-sriov hook`: parse argv and
 * stdin, call the operation, write one log line, and exit as libvirt needs. Operations where a
 * failure would kill a running guest or help no one (reconnect, stopped, release, port-deleted,
 * daemon) never fail; prepare, start and port-created fail with a message the admin sees.
 */
import { loadConfig, type Config } from '../config/config.js';
import { VirtSriovError } from '../errors.js';
import { definedDomainXmls, definedHostdevNetworks } from '../host/libvirt-files.js';
import { ipTool } from '../host/ip.js';
import { sysfsAt } from '../host/sysfs.js';
import { appendLog } from '../log/hook-log.js';
import { stateStore } from '../state/state-store.js';
import { DomainXml } from '../xml/domain.js';
import { textOf, child } from '../xml/dom.js';
import { parseXml } from '../xml/document.js';
import { parseHookData } from '../xml/network.js';
import { HookReport, IGNORED, type HookEnv, type HookOutcome } from './hook-env.js';
import { daemonStart } from './daemon-ops.js';
import { networkStart, portCreated, portDeleted } from './network-ops.js';
import { migrateOrRestore } from './qemu/migrate.js';
import { prepare } from './qemu/prepare.js';
import { reconnect } from './qemu/reconnect.js';
import { start } from './qemu/start.js';
import { release, stopped } from './qemu/stop.js';

export type HookName = 'qemu' | 'network' | 'daemon';

export interface HookCall {
  readonly hook: HookName;
  /** libvirt's argv: object, operation, sub-operation, extra. */
  readonly argv: readonly string[];
  readonly readStdin: () => Promise<string>;
  readonly configPath: string | undefined;
}

type Operation = (env: HookEnv, stdin: string, object: string) => Promise<HookOutcome>;

interface OperationSpec {
  readonly run: Operation;
  /** Whether a failure may stop what libvirt is doing. */
  readonly mayFail: boolean;
}

const domainOf = (stdin: string) => DomainXml.parse(stdin, 'the domain XML from libvirt');
/** Who the domain is, even from XML we can't fully read: stop and release must still find its VFs. */
const ownerOf = (stdin: string, object: string) => {
  try {
    const { root } = parseXml(stdin, 'domain XML');
    return { name: textOf(child(root, 'name')) ?? object, uuid: textOf(child(root, 'uuid')) };
  } catch {
    return { name: object, uuid: null };
  }
};
const hookDataOf = (stdin: string) => parseHookData(stdin, 'the network XML from libvirt');

const OPERATIONS: Record<HookName, Record<string, OperationSpec>> = {
  qemu: {
    prepare: { mayFail: true, run: (env, s) => prepare(env, domainOf(s)) },
    start: { mayFail: true, run: (env, s) => start(env, domainOf(s)) },
    stopped: { mayFail: false, run: (env, s, o) => stopped(env, ownerOf(s, o)) },
    release: { mayFail: false, run: (env, s, o) => release(env, ownerOf(s, o)) },
    reconnect: { mayFail: false, run: (env, s) => reconnect(env, domainOf(s)) },
    migrate: { mayFail: true, run: (env, s) => migrateOrRestore(env, domainOf(s)) },
    restore: { mayFail: true, run: (env, s) => migrateOrRestore(env, domainOf(s)) },
  },
  network: {
    start: { mayFail: true, run: (env, s) => networkStart(env, hookDataOf(s)) },
    'port-created': { mayFail: true, run: (env, s) => portCreated(env, hookDataOf(s)) },
    'port-deleted': { mayFail: false, run: (env, s) => portDeleted(env, hookDataOf(s)) },
  },
  daemon: {
    start: { mayFail: false, run: (env) => daemonStart(env) },
  },
};

export interface HookResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Parts of the host a test hands in instead of the ones the config names. */
export type HostOverrides = Partial<Pick<HookEnv, 'sysfs' | 'ip' | 'hostdevNetworks' | 'definedDomains'>>;

export async function runHook(call: HookCall, overrides: HostOverrides = {}): Promise<HookResult> {
  const started = Date.now();
  const [object = '-', op = '', subop = '-'] = call.argv;
  const spec = OPERATIONS[call.hook][op];
  const report = new HookReport();
  let config: Config | null = null;
  let outcome: HookOutcome;
  let error: VirtSriovError | Error | undefined;
  let stdout = '';
  let stdin = '';

  if (!spec) {
    outcome = IGNORED;
  } else {
    try {
      stdin = await call.readStdin();
      config = loadConfig(call.configPath);
      outcome = await spec.run({ ...envFor(config, report), ...overrides }, stdin, object);
      stdout = outcome.stdout ?? '';
    } catch (e) {
      error = e as Error;
      outcome = { exitCode: spec.mayFail ? 1 : 0, result: spec.mayFail ? 'refused' : 'failed' };
      // migrate/restore: printing nothing leaves libvirt's XML as it was
    }
  }

  const message = error ? (error instanceof VirtSriovError ? error.describe() : `internal error: ${error.message}`) : '';
  const logPath = config?.logFile ?? safeLogPath(call.configPath);
  try {
    appendLog(logPath, {
      time: new Date(started).toISOString(), hook: call.hook, op, subop, object,
      result: outcome.result, durationMs: Date.now() - started, vfs: [...report.vfs],
      changes: report.changes, notes: report.notes, ...(error ? { error: message } : {}),
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

function envFor(config: Config, report: HookReport): HookEnv {
  return {
    config,
    sysfs: sysfsAt(config.sysfsRoot),
    ip: ipTool(config.ipCommand),
    state: stateStore(config.stateDir),
    hostdevNetworks: () => definedHostdevNetworks(),
    definedDomains: () => definedDomainXmls(),
    report,
  };
}

/** The log path when the config itself could not be read. */
function safeLogPath(configPath: string | undefined): string {
  try {
    return loadConfig(configPath).logFile;
  } catch {
    return '/var/log/libvirt/virt-sriov.log';
  }
}
