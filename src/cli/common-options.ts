/**
 * The options every command takes, before it or after it: -c/--connect (virsh's) and
 * --config-file (virt-sriov's config, also $VIRT_SRIOV_CONFIG), and the message for the old
 * spelling of --config-file.
 */
import { Option, type Command } from 'commander';
import { bakedConfigPath, DEFAULT_CONFIG_PATH } from '../config/config.js';
import { UsageError } from '../errors.js';

export interface CommonOptions {
  connect?: string;
  configFile?: string;
}

/** The environment variable that names the config file, as --config-file does. */
export const CONFIG_ENV = 'VIRT_SRIOV_CONFIG';

/** Where the config is: --config-file, else $VIRT_SRIOV_CONFIG, else what install.sh baked in. */
export function configPathOf(options: CommonOptions): string | undefined {
  return options.configFile ?? (process.env[CONFIG_ENV] || undefined) ?? bakedConfigPath();
}

/** virt-sriov's own config file was `--config FILE`, which virsh uses for the persistent definition. */
export function oldConfigOption(): UsageError {
  return new UsageError('--config no longer names virt-sriov\'s config file: as in virsh, it means a domain\'s persistent definition (attach, detach)',
    `give --config-file FILE, or set ${CONFIG_ENV}=FILE`);
}

/**
 * -c/--connect and --config-file, accepted by every command as well as before it. `--config`
 * is virsh's (the persistent definition) on the commands that take it (`virshConfig`); on the
 * others the old spelling of --config-file gets a message that says so.
 */
export function withCommonOptions(cmd: Command, { virshConfig = false } = {}): Command {
  cmd
    .option('-c, --connect <uri>', 'libvirt connection URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)')
    .option('--config-file <file>', `virt-sriov's config file (default: $${CONFIG_ENV}, else ${bakedConfigPath() ?? DEFAULT_CONFIG_PATH})`);
  if (!virshConfig) {
    cmd.addOption(new Option('--config <file>').hideHelp().argParser(() => {
      throw oldConfigOption();
    }));
  }
  return cmd;
}
