/**
 * virt-sriov's one config file, /etc/virt-sriov/config.json. Every key is optional; a bad
 * value is an error that names the key. The hooks read it on every call, so it is small.
 */
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import * as v from 'valibot';
import { InputError } from '../errors.js';
import { otherWriters } from '../host/trusted-file.js';
import { DEFAULT_CONFIG_PATH } from './config-path.js';
import { isLoopback, LISTEN_SYNTAX, parseListenAddress } from './listen-address.js';

export { bakedConfigPath, configFileOf, DEFAULT_CONFIG_PATH } from './config-path.js';

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/; // what the kernel takes as a netdev name (IFNAMSIZ - 1)

// valibot rather than zod: its schemas are plain objects, so building this one costs a hook
// ~2 ms where zod/mini's cost ~9 (measured on this config). Built on first use: a hook whose
// config is the text it validated before (hooks/entry-facts.ts) doesn't build it at all.
function buildSchemas() {
  const integer = (min: number, max?: number) => max === undefined
    ? v.pipe(v.number(), v.integer(), v.minValue(min))
    : v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
  const name = v.pipe(v.string(), v.minLength(1));
  const onOff = v.boolean();
  // valibot takes an array for an object or a record (as {}): a config never means one
  const noArray = <S extends v.GenericSchema>(what: string, s: S) =>
    v.pipe(v.unknown(), v.check((x) => !Array.isArray(x), `expected ${what}`), s);

  const vfDefaults = noArray('object', v.strictObject({
    vlan: v.optional(integer(1, 4094)),
    qos: v.optional(integer(0, 7)),
    trust: v.optional(onOff),
    spoofchk: v.optional(onOff),
    linkState: v.optional(v.picklist(['auto', 'enable', 'disable'])),
    minTxRate: v.optional(integer(0)),
    maxTxRate: v.optional(integer(0)),
    queryRss: v.optional(onOff),
  }));

  const pf = noArray('object', v.strictObject({
    numVfs: integer(0, 4096),
    /** Bring the PF up when it is down (libvirt won't: an interface nothing configures would start IPv6 autoconfiguration). */
    bringUp: v.optional(onOff),
    /** Driver quirks to run, e.g. bnx2x takes new VF MACs only once its VFs are re-created. */
    quirks: v.optional(v.array(v.picklist(['recreate-vfs-after-mac']))),
  }));

  /** The watcher's (virt-sriov watch): where it serves Prometheus metrics, if anywhere. */
  const watch = noArray('object', v.pipe(
    v.strictObject({
      metricsListen: v.optional(v.pipe(v.string(), v.check((s) => parseListenAddress(s) !== null, `must be ${LISTEN_SYNTAX}`))),
      metricsAllowRemote: v.optional(onOff),
    }),
    v.check((w) => {
      const at = w.metricsListen === undefined ? null : parseListenAddress(w.metricsListen);
      return at === null || w.metricsAllowRemote === true || isLoopback(at);
    }, 'metricsListen is not a loopback address (127.0.0.1, ::1): /metrics names guests, their MACs and VLANs, and has no authentication; set metricsAllowRemote to true to serve it there all the same'),
  ));

  const schema = noArray('object', v.strictObject({
    /** PFs whose VFs virt-sriov creates at daemon start and on demand. */
    pfs: v.optional(noArray('record', v.record(v.pipe(v.string(), v.regex(IFNAME)), pf))),
    /** On release: put back what the VF had before the guest (restore), or reset it to a clean slate (reset). */
    releasePolicy: v.optional(v.picklist(['restore', 'reset'])),
    /** Per hostdev network: VF settings for every guest on it, under the domain's own. */
    networks: v.optional(noArray('record', v.record(name, vfDefaults))),
    /** Physical network -> host name -> that host's PFs on it (physical-networks.ts). One file for the fleet. */
    physicalNetworks: v.optional(noArray('record', v.record(name,
      noArray('record', v.record(name, v.pipe(v.array(v.pipe(v.string(), v.regex(IFNAME))), v.minLength(1))))))),
    watch: v.optional(watch),
    logFile: v.optional(name),
    stateDir: v.optional(name),
    /** Where sysfs is, and how to run ip: a test host points these at a fake. */
    sysfsRoot: v.optional(name),
    ipCommand: v.optional(v.pipe(v.array(name), v.minLength(1))),
  }));
  return { vfDefaults, schema };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;
const schemaOf = () => (schemas ??= buildSchemas()).schema;
/** The schema itself, for the generated config man page (src/docs/man-config.ts). */
export const configSchema = schemaOf;

export type VfDefaults = v.InferOutput<Schemas['vfDefaults']>;
type RawConfig = v.InferOutput<Schemas['schema']>;

export interface Config {
  readonly pfs: NonNullable<RawConfig['pfs']>;
  readonly releasePolicy: 'restore' | 'reset';
  readonly networks: NonNullable<RawConfig['networks']>;
  readonly physicalNetworks: NonNullable<RawConfig['physicalNetworks']>;
  readonly watch: NonNullable<RawConfig['watch']>;
  readonly logFile: string;
  readonly stateDir: string;
  readonly sysfsRoot: string;
  readonly ipCommand: readonly string[];
  /** The file it came from, or null for the defaults. */
  readonly path: string | null;
}

export const DEFAULTS: Config = {
  pfs: {},
  releasePolicy: 'restore',
  networks: {},
  physicalNetworks: {},
  watch: {},
  logFile: '/var/log/libvirt/virt-sriov.log',
  stateDir: '/run/virt-sriov',
  sysfsRoot: '/sys',
  ipCommand: ['ip'],
  path: null,
};

/** Validate a parsed config; `where` names the file in errors. */
export function parseConfig(raw: unknown, where: string): Config {
  const r = v.safeParse(schemaOf(), raw);
  if (!r.success) throw new InputError(`${where}: ${describeIssues(raw, r.issues)}`, 'fix that key (see `virt-sriov --help` and the README for the config format)');
  return withDefaults(r.output, where);
}

function withDefaults(c: RawConfig, where: string): Config {
  return {
    pfs: c.pfs ?? DEFAULTS.pfs,
    releasePolicy: c.releasePolicy ?? DEFAULTS.releasePolicy,
    networks: c.networks ?? DEFAULTS.networks,
    physicalNetworks: c.physicalNetworks ?? DEFAULTS.physicalNetworks,
    watch: c.watch ?? DEFAULTS.watch,
    logFile: c.logFile ?? DEFAULTS.logFile,
    stateDir: c.stateDir ?? DEFAULTS.stateDir,
    sysfsRoot: c.sysfsRoot ?? DEFAULTS.sysfsRoot,
    ipCommand: c.ipCommand ?? DEFAULTS.ipCommand,
    path: where,
  };
}

/**
 * Read the config. A missing file at the default path means the defaults; a missing file that
 * was asked for by name is an error.
 */
export function loadConfig(path: string | undefined): Config {
  return readConfig(path).config;
}

/**
 * The config and the text it was read from (null for the defaults of a missing file).
 * `validated`: a text this version validated before (hooks/entry-facts.ts); the same text again
 * is parsed without the schema. The file's mode is checked all the same.
 */
export function readConfig(path: string | undefined, validated?: string): { config: Config; text: string | null } {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  let stat: Stats;
  try {
    // mode and text from one open file: what is checked is what is read
    const fd = openSync(file, 'r');
    try {
      stat = fstatSync(fd);
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && path === undefined) return { config: DEFAULTS, text: null };
    throw new InputError(`config ${file}: ${(e as Error).message}`, 'check the path (given with --config-file, in $VIRT_SRIOV_CONFIG, or to install.sh --config)');
  }
  const unsafe = unsafeFile(`config ${file}`, file, stat);
  if (unsafe) throw unsafe;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`config ${file}: not valid JSON: ${(e as Error).message}`, 'fix the JSON syntax');
  }
  const config = text === validated ? withDefaults(raw as RawConfig, `config ${file}`) : parseConfig(raw, `config ${file}`);
  return { config: { ...config, path: file }, text };
}

/**
 * The config and the hook files as host/trusted-file.ts judges them, as an error an admin can
 * act on. `what` names the file in the message ("config /etc/virt-sriov/config.json").
 */
export function unsafeFile(what: string, path: string, stat: { mode: number; uid: number }): InputError | null {
  const { byMode, owner } = otherWriters(stat);
  if (byMode.length) {
    return new InputError(`${what} is writable by ${byMode.join(' and ')} (mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}): refused, as whoever can write it could run commands as root`,
      `chmod go-w ${path}`);
  }
  if (owner !== null) {
    return new InputError(`${what} belongs to user ${owner}, who could change it to run commands as root: refused`, `chown root ${path}`);
  }
  return null;
}

type Issue = v.InferIssue<Schemas['schema']>;

/** The first issue, where it is and what is wrong, in the config's own terms. */
function describeIssues(raw: unknown, issues: readonly [Issue, ...Issue[]]): string {
  const issue = issues[0];
  if (isUnknownKey(issue)) {
    const object = issue.path!.length > 1 ? v.getDotPath({ ...issue, path: issue.path!.slice(0, -1) } as Issue) : null;
    const unknown = unknownKeys(raw, issue);
    return `${object || '(top level)'}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`;
  }
  const at = v.getDotPath(issue) || '(top level)';
  if (issue.type === 'strict_object' && issue.received === 'undefined') return `${at}: is missing`;
  return `${at}: ${describeIssue(issue)}`;
}

const isUnknownKey = (i: Issue) => i.type === 'strict_object' && i.expected === 'never';

/**
 * Every unknown key of the object that has `first`. valibot reports one per object: each is
 * taken out of a copy of the config, which is validated again, until that object has no more.
 */
function unknownKeys(raw: unknown, first: Issue): string[] {
  const parent = first.path!.slice(0, -1).map((p) => p.key as string);
  const copy = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
  const object = parent.reduce((o, k) => o[k] as Record<string, unknown>, copy);
  const keys: string[] = [];
  for (let issue: Issue | undefined = first; issue; ) {
    const key = String(issue.input);
    keys.push(key);
    delete object[key];
    const r = v.safeParse(schemaOf(), copy);
    issue = r.issues?.find((i) => isUnknownKey(i) && JSON.stringify(i.path!.slice(0, -1).map((p) => p.key)) === JSON.stringify(parent));
  }
  return keys;
}

function describeIssue(issue: Issue): string {
  switch (issue.type) {
    case 'min_value':
    case 'min_length': return `must be at least ${String(issue.requirement)}`;
    case 'max_value': return `must be at most ${String(issue.requirement)}`;
    case 'picklist': return `must be one of ${String(issue.expected).replace(/["()]/g, '').split(' | ').join(', ')}`;
    case 'integer': return 'must be a whole number';
    case 'strict_object': return 'expected object';
    case 'regex': return 'is not a valid name'; // a record key: a PF name
    case 'check': return issue.message; // noArray's
    default: return `expected ${issue.type}`; // number, boolean, string, array, record
  }
}
