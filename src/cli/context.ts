/** What every command gets: where to write, and the config and host, loaded when first needed. */
import type { Command } from 'commander';
import { bakedConfigPath, DEFAULT_CONFIG_PATH, loadConfig, type Config } from '../config/config.js';
import { openLibvirt, type LibvirtConnection } from '../libvirt/index.js';
import { isLocalUri } from '../pool/host-pool.js';
import { hostFor, type Host } from './host-context.js';
import type { CliIo } from './io.js';

export interface CommonOptions {
  connect?: string;
  config?: string;
}

export class CommandContext {
  private cachedConfig: Config | undefined;
  private connection: LibvirtConnection | undefined;

  constructor(readonly io: CliIo, readonly options: CommonOptions) {}

  get config(): Config {
    // an install with --config baked its path in, as into the hooks
    return (this.cachedConfig ??= loadConfig(this.options.config ?? bakedConfigPath()));
  }

  get host(): Host {
    return hostFor(this.config);
  }

  /** The libvirt connection (-c URI, else libvirt's default), opened on first use. */
  get libvirt(): LibvirtConnection {
    return (this.connection ??= openLibvirt(this.options.connect ? { uri: this.options.connect } : {}));
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

/** -c/--connect and --config, accepted by every command as well as before it. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('-c, --connect <uri>', 'libvirt connection URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)')
    .option('--config <file>', `virt-sriov config file (default: ${bakedConfigPath() ?? DEFAULT_CONFIG_PATH})`);
}

export function contextOf(cmd: Command, io: CliIo): CommandContext {
  return new CommandContext(io, cmd.optsWithGlobals<CommonOptions>());
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
