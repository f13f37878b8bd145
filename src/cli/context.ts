/** What every command gets: where to write, and the config and host, loaded when first needed. */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadConfig, type Config } from '../config/config.js';
import { hostFor, type Host } from './host-context.js';
import type { CliIo } from './io.js';

export interface CommonOptions {
  connect?: string;
  config?: string;
}

export class CommandContext {
  private cachedConfig: Config | undefined;

  constructor(readonly io: CliIo, readonly options: CommonOptions) {}

  get config(): Config {
    return (this.cachedConfig ??= loadConfig(this.options.config));
  }

  get host(): Host {
    return hostFor(this.config);
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
    .option('--config <file>', `virt-sriov config file (default: ${DEFAULT_CONFIG_PATH})`);
}

export function contextOf(cmd: Command, io: CliIo): CommandContext {
  return new CommandContext(io, cmd.optsWithGlobals<CommonOptions>());
}
