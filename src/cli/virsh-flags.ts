/**
 * virsh's --config, --live, --current and --persistent on attach, detach and set, with the
 * meanings `virsh attach-device` gives them: which of a domain's two definitions a change is
 * for, the running guest's (live) and the persistent one (config).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { withContext, type CommandContext } from './command-context.js';
import { CONFIG_ENV } from './common-options.js';
import type { CliIo } from './io.js';

export interface VirshFlagValues {
  config?: boolean;
  live?: boolean;
  current?: boolean;
  persistent?: boolean;
}

/** Which definitions a change is for. */
export interface ChangeTarget {
  readonly live: boolean;
  readonly config: boolean;
}

export function withVirshFlags(cmd: Command): Command {
  return cmd
    .option('--config', 'the persistent definition: from the next start')
    .option('--live', 'the running guest, now')
    .option('--current', 'the running guest if the domain runs, else its definition (the default)')
    .option('--persistent', 'the definition, and the running guest too if it runs')
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
  if (f.persistent && f.live) throw new UsageError('--persistent and --live are mutually exclusive', 'as in virsh: --persistent already means the running guest too');
}

/**
 * What the flags mean for this domain, as virsh decides it: no flag is --current; --live needs
 * a running guest. Pure.
 */
export function changeTarget(f: VirshFlagValues, name: string, running: boolean): ChangeTarget {
  if (f.live && !running) {
    throw new UsageError(`--live: domain ${name} is not running`, `give --config to change its definition (it has the change from its next start), or start it first: virsh start ${name}`);
  }
  if (f.persistent) return { live: running, config: true };
  if (f.live || f.config) return { live: !!f.live, config: !!f.config };
  return { live: running, config: !running };
}

/** The note for a change of the definition only while the domain runs: it waits for a new start. */
export function waitsForRestart(name: string, target: ChangeTarget, running: boolean): string {
  // a reboot keeps the QEMU process, and with it the running definition
  return running && !target.live ? ` (${name} is running: shut it down and start it again; a reboot keeps the running definition)` : '';
}

/** The action of a command that changes a domain (attach, detach, set): virsh's flags checked, then `run` with its context. */
export function domainChange<O extends VirshFlagValues>(io: CliIo, run: (ctx: CommandContext, name: string, o: O) => Promise<void>) {
  return async function (this: Command, name: string, o: O): Promise<void> {
    checkVirshFlags(this, o);
    await withContext(this, io, (ctx) => run(ctx, name, o));
  };
}
