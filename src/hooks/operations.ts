/**
 * The hook operations, loaded by run-hook only when a call has work to do: each parses its
 * input (domain XML or the network hook's hookData) and acts on the host the config names.
 */
import type { Config } from '../config/config.js';
import { definedDomainXmls, definedHostdevNetworks } from '../host/libvirt-files.js';
import { ipTool } from '../host/ip.js';
import { sysfsAt } from '../host/sysfs.js';
import { ipVfPort } from '../host/vf-port.js';
import { stateStore } from '../state/state-store.js';
import { child, textOf } from '../xml/dom.js';
import { readXml } from '../xml/document.js';
import { DomainXml } from '../xml/domain.js';
import { parseHookData } from '../xml/network.js';
import { daemonStart } from './daemon-ops.js';
import type { HookEnv, HookOutcome, HookReport } from './hook-env.js';
import { networkStart, portCreated, portDeleted } from './network-ops.js';
import { readyArriving } from './qemu/arriving.js';
import { migrateOrRestore } from './qemu/migrate.js';
import { prepare } from './qemu/prepare.js';
import { reconnect } from './qemu/reconnect.js';
import { start } from './qemu/start.js';
import { release, stopped } from './qemu/stop.js';
import type { HookName, HostOverrides } from './run-hook.js';

type Operation = (env: HookEnv, stdin: string, object: string) => Promise<HookOutcome>;

// the domain XML is only read, but by migrate and restore, which rewrite it for libvirt
const domainOf = (stdin: string) => DomainXml.read(stdin, 'the domain XML from libvirt');
const editableDomainOf = (stdin: string) => DomainXml.parse(stdin, 'the domain XML from libvirt');
/** Who the domain is, even from XML we can't fully read: stop and release must still find its VFs. */
const ownerOf = (stdin: string, object: string) => {
  try {
    const { root } = readXml(stdin, 'domain XML');
    return { name: textOf(child(root, 'name')) ?? object, uuid: textOf(child(root, 'uuid')) };
  } catch {
    return { name: object, uuid: null };
  }
};
const hookDataOf = (stdin: string) => parseHookData(stdin, 'the network XML from libvirt');

const OPERATIONS: Record<HookName, Record<string, Operation>> = {
  qemu: {
    // an incoming migration's devices to be plugged in after it: their VFs readied too (arriving.ts)
    prepare: async (env, s) => {
      const domain = domainOf(s);
      const outcome = await prepare(env, domain);
      return outcome.exitCode === 0 ? readyArriving(env, domain) : outcome;
    },
    start: (env, s) => start(env, domainOf(s)),
    stopped: (env, s, o) => stopped(env, ownerOf(s, o)),
    release: (env, s, o) => release(env, ownerOf(s, o)),
    reconnect: (env, s) => reconnect(env, domainOf(s)),
    migrate: (env, s) => migrateOrRestore(env, editableDomainOf(s)),
    restore: (env, s) => migrateOrRestore(env, editableDomainOf(s)),
  },
  network: {
    start: (env, s) => networkStart(env, hookDataOf(s)),
    'port-created': (env, s) => portCreated(env, hookDataOf(s)),
    'port-deleted': (env, s) => portDeleted(env, hookDataOf(s)),
  },
  daemon: {
    start: (env) => daemonStart(env),
  },
};

export function runOperation(hook: HookName, op: string, stdin: string, object: string, config: Config, report: HookReport, overrides: HostOverrides): Promise<HookOutcome> {
  const { ip, ...host } = overrides;
  const env: HookEnv = {
    config,
    sysfs: sysfsAt(config.sysfsRoot),
    vfPort: ipVfPort(ip ?? ipTool(config.ipCommand)),
    state: stateStore(config.stateDir),
    hostdevNetworks: () => definedHostdevNetworks(),
    definedDomains: () => definedDomainXmls(),
    report,
    ...host,
  };
  return OPERATIONS[hook][op]!(env, stdin, object);
}
