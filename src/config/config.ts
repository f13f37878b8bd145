/**
 * virt-sriov's one config file, /etc/virt-sriov/config.json. Every key is optional; a bad
 * value is an error that names the key. The hooks read it on every call, so it is small.
 */
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import * as z from 'zod/mini';
import { InputError } from '../errors.js';

export const DEFAULT_CONFIG_PATH = '/etc/virt-sriov/config.json';

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/; // what the kernel takes as a netdev name (IFNAMSIZ - 1)
const onOff = z.boolean();

const vfDefaults = z.strictObject({
  vlan: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(4094))),
  qos: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(7))),
  trust: z.optional(onOff),
  spoofchk: z.optional(onOff),
  linkState: z.optional(z.enum(['auto', 'enable', 'disable'])),
  minTxRate: z.optional(z.number().check(z.int(), z.minimum(0))),
  maxTxRate: z.optional(z.number().check(z.int(), z.minimum(0))),
  queryRss: z.optional(onOff),
});

const schema = z.strictObject({
  /** PFs whose VFs virt-sriov creates at daemon start and on demand. */
  pfs: z.optional(z.record(z.string().check(z.regex(IFNAME)), z.strictObject({
    numVfs: z.number().check(z.int(), z.minimum(0), z.maximum(4096)),
    /** Driver quirks to run, e.g. bnx2x takes new VF MACs only once its VFs are re-created. */
    quirks: z.optional(z.array(z.enum(['recreate-vfs-after-mac']))),
  }))),
  /** On release: put back what the VF had before the guest (restore), or reset it to a clean slate (reset). */
  releasePolicy: z.optional(z.enum(['restore', 'reset'])),
  /** Per hostdev network: VF settings for every guest on it, under the domain's own. */
  networks: z.optional(z.record(z.string().check(z.minLength(1)), vfDefaults)),
  logFile: z.optional(z.string().check(z.minLength(1))),
  stateDir: z.optional(z.string().check(z.minLength(1))),
  /** Where sysfs is, and how to run ip: a test host points these at a fake. */
  sysfsRoot: z.optional(z.string().check(z.minLength(1))),
  ipCommand: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
});

export type VfDefaults = z.infer<typeof vfDefaults>;
type RawConfig = z.infer<typeof schema>;

export interface Config {
  readonly pfs: NonNullable<RawConfig['pfs']>;
  readonly releasePolicy: 'restore' | 'reset';
  readonly networks: NonNullable<RawConfig['networks']>;
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
  logFile: '/var/log/libvirt/virt-sriov.log',
  stateDir: '/var/lib/virt-sriov',
  sysfsRoot: '/sys',
  ipCommand: ['ip'],
  path: null,
};

/** Validate a parsed config; `where` names the file in errors. */
export function parseConfig(raw: unknown, where: string): Config {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = issue.path.length ? issue.path.join('.') : '(top level)';
    const why = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : describeIssue(issue);
    throw new InputError(`${where}: ${key}: ${why}`, 'fix that key (see `virt-sriov --help` and the README for the config format)');
  }
  const c = r.data;
  return {
    pfs: c.pfs ?? DEFAULTS.pfs,
    releasePolicy: c.releasePolicy ?? DEFAULTS.releasePolicy,
    networks: c.networks ?? DEFAULTS.networks,
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
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && path === undefined) return DEFAULTS;
    throw new InputError(`config ${file}: ${(e as Error).message}`, 'check the path given with --config');
  }
  const unsafe = unsafeFile(`config ${file}`, file, stat);
  if (unsafe) throw unsafe;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`config ${file}: not valid JSON: ${(e as Error).message}`, 'fix the JSON syntax');
  }
  return { ...parseConfig(raw, `config ${file}`), path: file };
}

/**
 * A file whose content root acts on (the config names the `ip` to run; a hook is code) must be
 * writable by root or the user running it only: anyone else who can write it can run commands
 * as them. `what` names it in the message ("config /etc/virt-sriov/config.json"). Returns the error, or null.
 */
export function unsafeFile(what: string, path: string, stat: { mode: number; uid: number }): InputError | null {
  const by = [stat.mode & 0o020 ? 'its group' : '', stat.mode & 0o002 ? 'others' : ''].filter(Boolean);
  if (by.length) {
    return new InputError(`${what} is writable by ${by.join(' and ')} (mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}): refused, as whoever can write it could run commands as root`,
      `chmod go-w ${path}`);
  }
  const me = process.getuid?.();
  if (me !== undefined && stat.uid !== 0 && stat.uid !== me) {
    return new InputError(`${what} belongs to user ${stat.uid}, who could change it to run commands as root: refused`, `chown root ${path}`);
  }
  return null;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': return `expected ${issue.expected}`;
    case 'too_small': return `must be at least ${String(issue.minimum)}`;
    case 'too_big': return `must be at most ${String(issue.maximum)}`;
    case 'invalid_value': return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format': return `is not a valid ${issue.format === 'regex' ? 'name' : issue.format}`;
    case 'invalid_key': return 'is not a valid name'; // a record key: a PF or network name
    default: return issue.message;
  }
}
