/** The `virt-sriov` command line: commands, exit codes (0 ok, 1 failed, 2 bad usage/input), errors on stderr. */
import { Command, CommanderError } from 'commander';
import { isVirtSriovError } from '../errors.js';
import { withCommonOptions } from './common-options.js';
import { attachCommand } from './commands/attach.js';
import { convertCommand } from './commands/convert.js';
import { defineCommand } from './commands/define.js';
import { detachCommand } from './commands/detach.js';
import { setCommand } from './commands/set.js';
import { doctorCommand } from './commands/doctor.js';
import { vfsCommand } from './commands/vfs.js';
import { hookCommand } from './commands/hook.js';
import { logsCommand } from './commands/logs.js';
import { metricsCommand } from './commands/metrics.js';
import { topCommand } from './commands/top.js';
import { watchCommand } from './commands/watch.js';
import { networkCommand } from './commands/network.js';
import { statusCommand } from './commands/status.js';
import { migrateCommand } from './commands/migrate.js';
import { styleCommand } from './commands/style.js';
import type { CliIo } from './io.js';

declare const VIRT_SRIOV_VERSION: string | undefined;
export const VERSION = typeof VIRT_SRIOV_VERSION === 'string' ? VIRT_SRIOV_VERSION : '0.0.0-dev';

export function buildProgram(io: CliIo, setExitCode: (code: number) => void = () => undefined): Command {
  const program = withCommonOptions(new Command('virt-sriov'))
    .description('SR-IOV for KVM/libvirt: inspect the host, shape domains, run the hooks')
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const make of [convertCommand, defineCommand, attachCommand, detachCommand, setCommand, migrateCommand, vfsCommand, styleCommand, networkCommand, statusCommand, topCommand, metricsCommand, watchCommand, logsCommand, doctorCommand]) {
    program.addCommand(make(io));
  }
  program.addCommand(hookCommand(io, setExitCode));
  program.exitOverride();
  // addCommand() copies no settings: without these a command's --help and errors bypass `io`
  for (const cmd of program.commands) {
    cmd.exitOverride().showHelpAfterError('(add --help for usage)').configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  }
  return program;
}

/** Run the CLI; resolves to the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  try {
    // a command that completes but must report a code of its own (the hook's) sets it here
    await buildProgram(io, (code) => (exitCode = code)).parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; every parse error is bad usage
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isVirtSriovError(e)) {
      io.stderr(`virt-sriov: ${e.describe()}\n`);
      return e.exitCode;
    }
    io.stderr(`virt-sriov: internal error: ${(e as Error).message}\n`
      + (process.env.VIRT_SRIOV_DEBUG ? `${(e as Error).stack}\n` : '  (set VIRT_SRIOV_DEBUG=1 for a stack trace; please report it)\n'));
    return 1;
  }
}
