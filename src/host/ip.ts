/**
 * The `ip` command, behind a narrow interface. One process reads a PF with all its VFs; one
 * process (`ip -batch -`) applies every change of a call. Arguments go as argv, never a shell.
 */
import { execa } from 'execa';
import { OperationError } from '../errors.js';
import { parsePfLink, type PfLink } from './ip-link.js';

export interface IpTool {
  /** `ip -j link show dev PF`. */
  show(pf: string): Promise<PfLink>;
  /** `ip -batch -` with one command per entry (each an argv after `ip`). */
  batch(commands: readonly (readonly string[])[]): Promise<void>;
}

/**
 * A netdev name as the kernel takes it (dev_valid_name: 1-15 bytes, not `.` or `..`, no `/`, `:` or
 * white space), kept to the characters interface names are made of. Every name that comes from
 * XML or the config is checked with this before it reaches sysfs or ip.
 */
export function isInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

/** `command` is the argv that runs ip: ['ip'] or, for a fake host, ['/path/to/fake-ip']. */
export function ipTool(command: readonly string[] = ['ip']): IpTool {
  const [file, ...pre] = command;
  if (!file) throw new Error('ipTool needs a command');
  const run = async (args: string[], input?: string) => {
    const r = await execa(file, [...pre, ...args], { input, reject: false, stripFinalNewline: true, env: { LC_ALL: 'C' } });
    if (r.failed) {
      const why = (r.stderr || r.stdout || r.shortMessage || '').trim().split('\n').slice(-3).join('; ');
      throw new OperationError(`${[file, ...args].join(' ')} failed: ${why}`);
    }
    return r.stdout;
  };
  return {
    async show(pf) {
      if (!isInterfaceName(pf)) throw new OperationError(`${JSON.stringify(pf)} is not a network interface name`);
      return parsePfLink(await run(['-j', 'link', 'show', 'dev', pf]), pf);
    },
    async batch(commands) {
      if (commands.length === 0) return;
      for (const argv of commands) {
        // ip -batch splits lines on white space, and reads quotes, backslashes and # (a comment):
        // a value with any can't be passed safely
        if (argv.some((a) => /[\s'"\\#]/.test(a) || a === '')) throw new Error(`unsafe ip argument in ${JSON.stringify(argv)}`);
      }
      await run(['-batch', '-'], commands.map((c) => c.join(' ')).join('\n') + '\n');
    },
  };
}
