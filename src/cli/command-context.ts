/**
 * What every command gets: where to write, and the config, this host (its sysfs and `ip`) and
 * the libvirt connection, each loaded when first needed; and the rule that keeps the commands
 * that work on this host only from running against a connection to another.
 */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { InputError } from '../errors.js';
import { ipTool, type IpTool } from '../host/ip.js';
import { sysfsAt, type Sysfs } from '../host/sysfs.js';
import { openLibvirt, type LibvirtConnection } from '../libvirt/index.js';
import { isLocalUri } from '../libvirt/uri.js';
import { configPathOf, type CommonOptions } from './common-options.js';
import type { CliIo } from './io.js';

/**
 * The commands that work on this host only, and why: with -c naming another host they would
 * show or change this one while the admin meant that one, so they refuse.
 */
const LOCAL_ONLY: Readonly<Record<string, string>> = {
  status: "it reads this host's sysfs and `ip link`",
  metrics: "it reads this host's sysfs, `ip link` and hook log",
  top: "it reads this host's sysfs and `ip link`",
  vfs: "it writes this host's sysfs",
  logs: "it reads this host's hook log",
  hook: 'hooks run on the host itself',
  watch: "it sets this host's VFs as their guests ask",
};

export interface Host {
  readonly sysfs: Sysfs;
  readonly ip: IpTool;
}

/** This host as the config names it: its sysfs root and `ip` command. */
export function hostFor(config: Config): Host {
  return { sysfs: sysfsAt(config.sysfsRoot), ip: ipTool(config.ipCommand) };
}

export class CommandContext {
  private cachedConfig: Config | undefined;
  private connection: LibvirtConnection | undefined;
  /** Set before the first use of `libvirt` by a command that waits for libvirt's domain events. */
  events = false;

  constructor(readonly io: CliIo, readonly options: CommonOptions) {}

  get config(): Config {
    // an install with `install.sh --config` baked its path in, as into the hooks
    return (this.cachedConfig ??= loadConfig(this.configPath));
  }

  /** The config file named on the command line, in the environment or at install; undefined for the default. */
  get configPath(): string | undefined {
    return configPathOf(this.options);
  }

  /** -c was given: versions and devices come through that connection, not from this host's binaries. */
  get connectionGiven(): boolean {
    return this.options.connect !== undefined;
  }

  get host(): Host {
    return hostFor(this.config);
  }

  /** The libvirt connection (-c URI, else libvirt's default), opened on first use. */
  get libvirt(): LibvirtConnection {
    return (this.connection ??= openLibvirt({ ...(this.options.connect ? { uri: this.options.connect } : {}), events: this.events }));
  }

  /** Whether the connection is to this host, whose sysfs and state the CLI can read. */
  get local(): boolean {
    return isLocalUri(this.options.connect ?? process.env.LIBVIRT_DEFAULT_URI);
  }

  close(): void {
    this.connection?.close();
    this.connection = undefined;
  }

  out(text: string): void {
    this.io.stdout(text.endsWith('\n') ? text : text + '\n');
  }

  note(text: string): void {
    this.io.stderr(`virt-sriov: ${text}\n`);
  }
}

/** `extra`: options a command found itself (after libvirt's words, for `hook`). */
export function contextOf(cmd: Command, io: CliIo, extra: CommonOptions = {}): CommandContext {
  const ctx = new CommandContext(io, { ...cmd.optsWithGlobals<CommonOptions>(), ...extra });
  const why = LOCAL_ONLY[cmd.name()];
  if (why && !ctx.local) {
    throw new InputError(`${cmd.name()} works on this host only (${why}), and ${ctx.options.connect ? `-c ${ctx.options.connect}` : `LIBVIRT_DEFAULT_URI=${process.env.LIBVIRT_DEFAULT_URI}`} names another`,
      `run it on that host (ssh HOST virt-sriov ${cmd.name()} ...)${ctx.options.connect ? '' : ', or give -c qemu:///system for this one'}`);
  }
  return ctx;
}

/** Run a command's body with its context, closing the libvirt connection however it ends. */
export async function withContext<T>(cmd: Command, io: CliIo, body: (ctx: CommandContext) => Promise<T> | T): Promise<T> {
  const ctx = contextOf(cmd, io);
  try {
    return await body(ctx);
  } finally {
    ctx.close();
  }
}
