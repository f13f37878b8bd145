import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { runHook, type HookName } from '../../hooks/run-hook.js';
import { contextOf, withCommonOptions } from '../context.js';
import type { CliIo } from '../io.js';

const HOOKS: readonly HookName[] = ['qemu', 'network', 'daemon'];

export function hookCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return withCommonOptions(new Command('hook'))
    .description('Run exactly what the installed hook runs, e.g. virsh dumpxml vm | virt-sriov hook qemu vm prepare begin -')
    .argument('<hook>', 'qemu, network or daemon')
    .argument('<args...>', 'the arguments libvirt passes: OBJECT OPERATION SUB-OPERATION EXTRA')
    .passThroughOptions()
    .action(async function (this: Command, hook: string, args: string[]) {
      const ctx = contextOf(this, io);
      if (!HOOKS.includes(hook as HookName)) throw new UsageError(`'${hook}' is not a hook`, `use one of: ${HOOKS.join(', ')}`);
      // passThroughOptions keeps libvirt's words (e.g. `-`) as they are, so a --config after them
      // arrives here: honour it rather than replay against the default config and the real host
      const { argv, config } = trailingConfig(args);
      const r = await runHook({
        hook: hook as HookName, argv, readStdin: () => io.readStdin(), configPath: ctx.options.config ?? config,
        loadOperations: () => import('../../hooks/operations.js'),
      });
      if (r.stdout) io.stdout(r.stdout);
      if (r.stderr) io.stderr(r.stderr);
      setExitCode(r.exitCode);
    });
}

/** Split `--config FILE` / `--config=FILE` (and -c/--connect, which hooks don't use) off libvirt's argv. */
function trailingConfig(args: readonly string[]): { argv: string[]; config?: string } {
  const argv: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    // the object (first word) is libvirt's: a domain or network name, '-' for the daemon
    if (i > 0 && (a === '--config' || a === '-c' || a === '--connect')) {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${a} needs a value`, 'e.g. --config /etc/virt-sriov/config.json');
      if (a === '--config') config = value;
    } else if (i > 0 && a.startsWith('--config=')) config = a.slice('--config='.length);
    else argv.push(a);
  }
  return { argv, config };
}
