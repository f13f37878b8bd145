/**
 * virt-sriov.json(5), written from the config's valibot schema: every key, its type, range and
 * allowed values, and its default come from the schema and DEFAULTS; only what a key means is
 * written here (KEY_MEANINGS), or taken from the CLI option that sets the same VF setting. A key
 * the schema has and this page doesn't explain fails the build, and so does an explanation of a
 * key the schema doesn't have: the page can't drift from the config the hooks read.
 */
import type { Command } from 'commander';
import { DEFAULTS, DEFAULT_CONFIG_PATH, configSchema } from '../config/config.js';
import { header, paragraph, request, roffText, taggedParagraph, verbatim } from './roff.js';
import type { ManPageInfo } from './man-cli.js';

/** A schema as valibot builds it: plain objects, read only for their shape here. */
export interface Schema {
  readonly kind: string;
  readonly type: string;
  readonly pipe?: readonly Schema[];
  readonly wrapped?: Schema;
  readonly entries?: Readonly<Record<string, Schema>>;
  readonly key?: Schema;
  readonly value?: Schema;
  readonly item?: Schema;
  readonly options?: readonly unknown[];
  readonly requirement?: unknown;
}

export interface ConfigKey {
  /** `pfs.PF.numVfs`: a record's key is written as what it names. */
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
}

/** What each record's keys name, by the record's path. */
const RECORD_KEYS: Readonly<Record<string, string>> = { pfs: 'PF', networks: 'NETWORK', physicalNetworks: 'PHYSNET', 'physicalNetworks.PHYSNET': 'HOST' };

/** What each key means; a network's VF settings say what attach's options of the same name say. */
const KEY_MEANINGS: Readonly<Record<string, string>> = {
  pfs: 'PFs whose VFs virt-sriov creates: when the libvirt daemon starts, when a hostdev network on the PF starts, and when a guest names a VF that is not there yet (VFs do not survive a reboot). Keyed by the PF\'s interface name.',
  'pfs.PF.numVfs': 'How many VFs the PF gets. virt-sriov vfs PF --count N writes it, leaving the rest of the file as it was.',
  'pfs.PF.bringUp': 'Bring the PF up when a hook finds it down (libvirt sets a VF\'s MAC only on a PF that is up). Off by default, as in libvirt, which refuses to: bringing up an interface that nothing configures starts IPv6 autoconfiguration on it. Without it, a hook that needs the PF up refuses with the command to run.',
  'pfs.PF.quirks': 'Driver quirks to work around. recreate-vfs-after-mac: for drivers such as bnx2x, which take a new VF MAC only once the VFs are re-created (done at boot, when the daemon hook creates the VFs; a libvirtd restart keeps them as they are).',
  releasePolicy: 'What a VF becomes when its guest stops. restore: what it was before the guest, then checked that none of the guest\'s VLAN, trust or MAC stayed; reset: a clean VF.',
  networks: 'Settings for every guest on a hostdev network (a <forward mode=\'hostdev\'> VF pool), under the guest\'s own. Keyed by the network\'s name.',
  'networks.NETWORK.vlan': '802.1Q VLAN of every guest on the network.',
  'networks.NETWORK.qos': '802.1p priority with that VLAN.',
  physicalNetworks: 'Which PFs of which host are on which physical network (a switch fabric or VLAN trunk), for moving guests between hosts: virt-sriov migrate takes a VF on the destination only from a PF mapped to the same physical network as the guest\'s VF on the source, and the qemu migrate hook repoints a VF that is taken only to a PF of the same physical network. Never a guess: a PF in no mapping is matched only by its hostdev network\'s name, or not at all. One file can serve the whole fleet. Keyed by a name of your choosing for the physical network.',
  'physicalNetworks.PHYSNET': 'Keyed by host name, as libvirt reports it (virsh hostname; a short name matches the host\'s full name and the other way round).',
  'physicalNetworks.PHYSNET.HOST': 'That host\'s PFs on the physical network, by interface name.',
  watch: 'The watcher\'s settings (virt-sriov watch, the service that puts right what bypasses virt-sriov).',
  'watch.metricsListen': 'Where the watcher serves Prometheus metrics on /metrics, as ADDRESS:PORT with an IP address (127.0.0.1:9479, [::1]:9479): what virt-sriov metrics prints, read afresh at each scrape. Off when not set (virt-sriov watch --metrics-listen sets it for one run). A loopback address only, unless watch.metricsAllowRemote says otherwise. Prometheus\'s list of exporter ports is full, so no port is virt-sriov\'s own: pick a free one',
  'watch.metricsAllowRemote': 'Let watch.metricsListen be an address other hosts reach. /metrics names the guests, their MACs and VLANs and has no authentication: put a firewall or a TLS proxy in front of it',
  logFile: 'The hook log: one JSON line per hook call, read by virt-sriov logs.',
  stateDir: 'What virt-sriov remembers per VF (its owner and its state before the guest), and the versions last detected. What must survive a reboot (the VF counts) is in this file; what must not is under /run, gone after a reboot like the VFs themselves.',
  sysfsRoot: 'Where sysfs is mounted (a test host points it at a copy).',
  ipCommand: 'How to run ip(8), as a command and its first arguments (a test host points it at a fake).',
};

export function configManPage(program: Command, info: ManPageInfo): string {
  const keys = configKeys(configSchema() as unknown as Schema);
  const meaning = meaningsFor(keys, program);
  return [
    `.\\" Generated by scripts/build.mjs from the config schema (src/docs/man-config.ts): do not edit.`,
    header('VIRT-SRIOV.JSON', '5', info.date, `virt-sriov ${info.version}`, 'File Formats'),
    '.SH NAME',
    'virt\\-sriov.json \\- configuration of virt\\-sriov\'s hooks and CLI',
    '.SH SYNOPSIS',
    roffText(DEFAULT_CONFIG_PATH),
    '.SH DESCRIPTION',
    paragraph(`
One JSON object. Every key is optional: a key left out takes the default below, and a file
that isn't there at the default path means the defaults. A bad value is an error that names
the key; an unknown key is one too. The hooks read the file on every call, as root: it must be
owned by root (or the caller) and writable by no one else. virt-sriov --config-file FILE, or
VIRT_SRIOV_CONFIG=FILE, makes the CLI read another file; the hooks read the one given to
install.sh --config.`),
    '.SH KEYS',
    ...keys.map((k) => taggedParagraph(`${k.path} (${k.type}${k.required ? ', required' : ''})`, withDefault(meaning.get(k.path)!, k.path))),
    '.SH EXAMPLE',
    verbatim(JSON.stringify(CONFIG_EXAMPLE, null, 2)),
    paragraph('Eight VFs on eth1 at every boot, with the bnx2x quirk; VLAN 403, trust off and a rate limit for every guest on the sriov network; eth1 of kvm1 and ens2f0 and ens2f1 of kvm2 are on one physical network, fabric-a, so a guest moves between them.'),
    '.SH FILES',
    taggedParagraph(DEFAULT_CONFIG_PATH, 'The config of the installed hooks and CLI.'),
    '.SH SEE ALSO',
    '.BR virt\\-sriov (8),',
    '.BR virsh (1)',
    '',
  ].join('\n');
}

/** Every key of the schema, depth first, with its type in the admin's words. */
export function configKeys(schema: Schema, path = ''): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const object = effective(schema);
  for (const [name, entry] of Object.entries(object.entries ?? {})) {
    const keyPath = path ? `${path}.${name}` : name;
    const required = entry.type !== 'optional';
    const s = effective(entry.wrapped ?? entry);
    keys.push({ path: keyPath, type: typeOf(entry.wrapped ?? entry), required });
    if (s.type === 'strict_object' || s.type === 'object') keys.push(...configKeys(s, keyPath));
    if (s.type === 'record') keys.push(...recordKeys(s, keyPath));
  }
  return keys;
}

/** A record's values, named by what its keys name: an object's keys, or the value itself (and a record's, in turn). */
function recordKeys(record: Schema, path: string): ConfigKey[] {
  const keyName = RECORD_KEYS[path];
  if (!keyName) throw new Error(`config key ${path} is a record: say in RECORD_KEYS what its keys name`);
  const valuePath = `${path}.${keyName}`;
  const value = effective(record.value!);
  if (value.type === 'strict_object' || value.type === 'object') return configKeys(value, valuePath);
  const key = { path: valuePath, type: typeOf(record.value!), required: false };
  return value.type === 'record' ? [key, ...recordKeys(value, valuePath)] : [key];
}

/** The schema a pipe validates with: its last schema (noArray wraps one in unknown + check). */
function effective(schema: Schema): Schema {
  const inner = schema.pipe?.filter((p) => p.kind === 'schema').at(-1);
  return inner && inner !== schema.pipe![0] ? effective(inner) : schema;
}

function typeOf(schema: Schema): string {
  const s = effective(schema);
  const actions = (schema.pipe ?? s.pipe ?? []).filter((p) => p.kind === 'validation');
  const bound = (type: string) => actions.find((a) => a.type === type)?.requirement as number | undefined;
  switch (s.type) {
    case 'number': {
      const [min, max] = [bound('min_value'), bound('max_value')];
      const integer = actions.some((a) => a.type === 'integer') ? 'integer' : 'number';
      return max !== undefined ? `${integer} ${min ?? ''}..${max}` : min !== undefined ? `${integer} >= ${min}` : integer;
    }
    case 'boolean': return 'true or false';
    case 'string': return 'string';
    case 'picklist': return s.options!.map((o) => JSON.stringify(o)).join(' or ');
    case 'array': return `array of ${typeOf(s.item!)}`;
    case 'record': return 'object';
    case 'strict_object': case 'object': return 'object';
    default: throw new Error(`config man page: no words for a schema of type ${s.type}`);
  }
}

function meaningsFor(keys: readonly ConfigKey[], program: Command): Map<string, string> {
  const attach = program.commands.find((c) => c.name() === 'attach');
  const optionText = (path: string) => {
    if (!path.startsWith('networks.')) return undefined;
    const flag = `--${path.split('.').at(-1)!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return attach?.options.find((o) => o.long === flag)?.description;
  };
  const meaning = new Map<string, string>();
  for (const k of keys) {
    const text = KEY_MEANINGS[k.path] ?? optionText(k.path);
    if (!text) throw new Error(`config key ${k.path} has no meaning in the man page: add it to KEY_MEANINGS (src/docs/man-config.ts)`);
    meaning.set(k.path, text.replace(/\.?$/, '.'));
  }
  const stale = Object.keys(KEY_MEANINGS).filter((p) => !meaning.has(p));
  if (stale.length) throw new Error(`KEY_MEANINGS explains keys the config schema doesn't have: ${stale.join(', ')}`);
  return meaning;
}

function withDefault(text: string, path: string): string {
  const value = (DEFAULTS as unknown as Record<string, unknown>)[path];
  return value === undefined ? text : `${text} Default: ${JSON.stringify(value)}.`;
}

export const CONFIG_EXAMPLE = {
  pfs: { eth1: { numVfs: 8, quirks: ['recreate-vfs-after-mac'] } },
  releasePolicy: 'restore',
  networks: { sriov: { vlan: 403, trust: false, maxTxRate: 1000 } },
  physicalNetworks: { 'fabric-a': { kvm1: ['eth1'], kvm2: ['ens2f0', 'ens2f1'] } },
  logFile: '/var/log/libvirt/virt-sriov.log',
};
