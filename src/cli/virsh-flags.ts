/**
 * virsh's --config, --live, --current and --persistent on attach and detach, with the meanings
 * `virsh attach-device` gives them. virt-sriov changes the persistent definition only (changing
 * a running guest is the live-operations work): what would touch the running guest is refused.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { CONFIG_ENV } from './context.js';

export interface VirshFlagValues {
  config?: boolean;
  live?: boolean;
  current?: boolean;
  persistent?: boolean;
}

export function withVirshFlags(cmd: Command): Command {
  return cmd
    .option('--config', 'the persistent definition: from the next start (also without any of these flags)')
    .option('--live', 'the running guest (not done yet: refused)')
    .option('--current', 'the running guest if the domain runs (refused), else the definition')
    .option('--persistent', 'the definition, and the running guest too if it runs (refused)')
    // a file after --config is the old spelling of --config-file: said so, not "too many arguments"
    .allowExcessArguments();
}

/** The flags that exclude each other in virsh, refused before anything is read. */
export function checkVirshFlags(cmd: Command, f: VirshFlagValues): void {
  const extra = cmd.args.slice(cmd.registeredArguments.length);
  if (extra.length) {
    if (f.config) {
      throw new UsageError(`--config takes no file: as in virsh, it means the domain's persistent definition ('${extra[0]}' is one argument too many)`,
        `give virt-sriov's config file with --config-file FILE (or ${CONFIG_ENV}=FILE)`);
    }
    throw new UsageError(`too many arguments for '${cmd.name()}': '${extra.join(' ')}'`, `see virt-sriov ${cmd.name()} --help`);
  }
  for (const other of ['live', 'config', 'persistent'] as const) {
    if (f.current && f[other]) throw new UsageError(`--current and --${other} are mutually exclusive`, 'as in virsh: give one of them');
  }
  if (f.live) {
    throw new UsageError('--live (changing the running guest) is not done yet: virt-sriov changes the persistent definition',
      'give --config: the guest has the change from its next start');
  }
}

/**
 * Refuse what means the running guest for a domain that runs (--current, --persistent); the
 * rest means the definition. Returns a note for a running domain: the change waits for a new start.
 */
export function definitionOnly(f: VirshFlagValues, name: string, running: boolean): string {
  if (!running) return '';
  const flag = f.current ? '--current' : f.persistent ? '--persistent' : null;
  if (flag) {
    throw new UsageError(`${flag}: domain ${name} is running, so ${flag} means changing the running guest${f.persistent ? ' too' : ''}, which virt-sriov does not do yet`,
      `give --config: the definition changes, and the guest has it from its next start (virsh shutdown ${name}, then virsh start ${name})`);
  }
  // a reboot keeps the QEMU process, and with it the running definition
  return ` (${name} is running: shut it down and start it again; a reboot keeps the running definition)`;
}
