import { Command } from 'commander';
import { InputError, isVirtSriovError, UsageError } from '../../errors.js';
import { runHook, type HookName } from '../../hooks/run-hook.js';
import { child, textOf } from '../../xml/dom.js';
import { readXml } from '../../xml/document.js';
import { DomainXml } from '../../xml/domain.js';
import { contextOf } from '../command-context.js';
import { oldConfigOption, withCommonOptions, type CommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';

export const HOOKS: readonly HookName[] = ['qemu', 'network', 'daemon'];

export function hookCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return withCommonOptions(new Command('hook'))
    .description('Run exactly what the installed hook runs, e.g. virsh dumpxml vm | virt-sriov hook qemu vm prepare begin -')
    .argument('<hook>', 'qemu, network or daemon')
    .argument('<args...>', 'the arguments libvirt passes: OBJECT OPERATION SUB-OPERATION EXTRA')
    .passThroughOptions()
    .addHelpText('after', `
stdin: what libvirt gives the hook. qemu: the domain XML (virsh dumpxml NAME); network:
<hookData> with the network XML (virsh net-dumpxml NAME alone will do); daemon: nothing.
The log line of a replay is marked as one (virt-sriov logs).`)
    .action(async function (this: Command, hook: string, args: string[]) {
      // passThroughOptions keeps libvirt's words (e.g. `-`) as they are, so options after them
      // arrive here: honour them rather than replay against the default config or another host
      const { argv, options } = trailingOptions(args);
      const ctx = contextOf(this, io, options);
      if (!HOOKS.includes(hook as HookName)) throw new UsageError(`'${hook}' is not a hook`, `use one of: ${HOOKS.join(', ')}`);
      // the daemon hook gets nothing on stdin from libvirt: don't wait for a terminal's
      const input = hook === 'qemu' || hook === 'network' ? await replayInput(io, hook, argv) : '';
      const r = await runHook({
        hook: hook as HookName, argv, readStdin: async () => input, configPath: ctx.configPath, replay: true,
        loadOperations: () => import('../../hooks/operations.js'),
      });
      if (r.stdout) io.stdout(r.stdout);
      if (r.stderr) io.stderr(r.stderr);
      setExitCode(r.exitCode);
    });
}

/** Split --config-file and -c/--connect (with their values) off libvirt's argv. */
function trailingOptions(args: readonly string[]): { argv: string[]; options: CommonOptions } {
  const argv: string[] = [];
  const options: { -readonly [K in keyof CommonOptions]: CommonOptions[K] } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    // the object (first word) is libvirt's: a domain or network name, '-' for the daemon
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (i > 0 && ['--config-file', '-c', '--connect', '--config'].includes(flag)) {
      if (flag === '--config') throw oldConfigOption();
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`, flag === '--config-file' ? 'e.g. --config-file /etc/virt-sriov/config.json' : 'e.g. -c qemu:///system');
      if (flag === '--config-file') options.configFile = value;
      else options.connect = value;
    } else argv.push(a);
  }
  return { argv, options };
}

/**
 * The XML a replay runs on: what libvirt would give the hook, checked to be that (a replay on
 * empty or stray input would run on nothing and report ok). Its own checks stay the hook's.
 */
async function replayInput(io: CliIo, hook: 'qemu' | 'network', argv: readonly string[]): Promise<string> {
  const object = argv[0] ?? '-';
  const words = `hook ${hook} ${argv.join(' ')}`;
  const fix = `pipe it in: ${hook === 'qemu' ? 'virsh dumpxml' : 'virsh net-dumpxml'} ${object} | virt-sriov ${words}`;
  const what = `the XML of ${hook === 'qemu' ? 'domain' : 'network'} ${object}`;
  if (io.stdinIsTerminal?.()) throw new InputError(`${words}: a replay reads ${what} on stdin, and stdin is a terminal`, fix);
  const text = await io.readStdin();
  if (!text.trim()) throw new InputError(`${words}: no XML on stdin; a replay needs ${what}, as libvirt gives it to the hook`, fix);
  let name: string | null;
  try {
    name = hook === 'qemu' ? DomainXml.read(text, 'stdin').name : networkName(text);
  } catch (e) {
    if (!isVirtSriovError(e, 'input')) throw e;
    throw new InputError(`${words}: a replay needs ${what}, and ${e.message}`, fix);
  }
  if (name !== object) {
    throw new InputError(`${words}: stdin holds the XML of ${hook === 'qemu' ? 'domain' : 'network'} ${name}, not ${object}`,
      `give the name the XML has: virt-sriov hook ${hook} ${name} ${argv.slice(1).join(' ')}`);
  }
  return text;
}

/** The name in a network hook's stdin: <hookData><network>, or a bare <network>. */
function networkName(text: string): string | null {
  const { root } = readXml(text, 'stdin');
  const net = root.localName === 'hookData' ? child(root, 'network') : root.localName === 'network' ? root : null;
  if (!net) {
    throw new InputError(`stdin: not a network hook's input (the root element is <${root.tagName}>)`);
  }
  return textOf(child(net, 'name'));
}
