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
      const r = await runHook({ hook: hook as HookName, argv: args, readStdin: () => io.readStdin(), configPath: ctx.options.config });
      if (r.stdout) io.stdout(r.stdout);
      if (r.stderr) io.stderr(r.stderr);
      setExitCode(r.exitCode);
    });
}
