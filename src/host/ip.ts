/**
 * The `ip` command, behind a narrow interface. One process reads a PF with all its VFs; one
 * process (`ip -batch -`) applies every change of a call. Arguments go as argv, never a shell.
 */
import { spawn } from 'node:child_process';
import { OperationError } from '../errors.js';
import { isInterfaceName } from '../model/interface-name.js';
import { parsePfLink, type PfLink } from './ip-link.js';

/** `stats`: with each VF's counters (`ip -s`); the hooks leave them out, and the kernel skips them. */
export interface ShowOptions {
  readonly stats?: boolean;
}

export interface IpTool {
  /** `ip -j link show dev PF`. */
  show(pf: string, options?: ShowOptions): Promise<PfLink>;
  /** Several PFs in one process (`ip -j -batch -`, one `link show dev PF` each), in order. */
  showAll(pfs: readonly string[], options?: ShowOptions): Promise<PfLink[]>;
  /** `ip -batch -` with one command per entry (each an argv after `ip`). */
  batch(commands: readonly (readonly string[])[]): Promise<void>;
}


/**
 * What a failed `ip` said, from its error's message: which command of a batch failed (0-based;
 * null when ip named none: `-batch` stops at the first failure and says "Command failed -:N")
 * and the kernel's reason ("RTNETLINK answers: Operation not supported", "Error: ..."), else
 * the message's first line.
 */
export function ipFailure(message: string): { command: number | null; reason: string } {
  const line = /-:(\d+)/.exec(message);
  const reason = /(RTNETLINK answers: [^;\n]*|Error: [^;\n]*)/.exec(message);
  return {
    command: line ? Number(line[1]) - 1 : null,
    reason: reason ? reason[1]!.trim() : message.split('\n')[0]!.trim(),
  };
}

/** `command` is the argv that runs ip: ['ip'] or, for a fake host, ['/path/to/fake-ip']. */
export function ipTool(command: readonly string[] = ['ip']): IpTool {
  const [file, ...pre] = command;
  if (!file) throw new Error('ipTool needs a command');
  const run = (args: string[], input = '') => new Promise<string>((resolve, reject) => {
    // node's own spawn: on a hook's path, execa's 100 KB cost more to load than ip takes to run
    const what = [file, ...args].join(' ');
    const child = spawn(file, [...pre, ...args], { env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined); // ip gone before reading all its input: its exit says why
    child.stdin.end(input);
    child.on('error', (e) => reject(new OperationError(`${what} failed: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout.replace(/\n$/, ''));
      const why = (stderr || stdout).trim().split('\n').slice(-3).join('; ') || (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new OperationError(`${what} failed: ${why}`));
    });
  });
  const flags = (o: ShowOptions) => (o.stats ? ['-s', '-j'] : ['-j']);
  const show = async (pf: string, options: ShowOptions = {}) => {
    if (!isInterfaceName(pf)) throw new OperationError(`${JSON.stringify(pf)} is not a network interface name`);
    return parsePfLink(await run([...flags(options), 'link', 'show', 'dev', pf]), pf);
  };
  return {
    show,
    async showAll(pfs, options = {}) {
      if (pfs.length <= 1) return Promise.all(pfs.map((pf) => show(pf, options)));
      const bad = pfs.find((pf) => !isInterfaceName(pf));
      if (bad !== undefined) throw new OperationError(`${JSON.stringify(bad)} is not a network interface name`);
      // one JSON array per line, per command; ip stops at the first device that doesn't exist
      const lines = (await run([...flags(options), '-batch', '-'], pfs.map((pf) => `link show dev ${pf}`).join('\n') + '\n')).split('\n').filter((l) => l.trim());
      if (lines.length !== pfs.length) throw new OperationError(`ip -j -batch - printed ${lines.length} links for ${pfs.length} PFs (${pfs.join(', ')})`);
      return pfs.map((pf, i) => parsePfLink(lines[i]!, pf));
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
