/**
 * The bash completion is written from the CLI's definitions: every command and option, the
 * words of an option's choices. Running it in bash, with live values, is the integration
 * suite's (test/integration/docs).
 */
import { describe, expect, test } from '@jest/globals';
import { Option } from 'commander';
import { buildProgram } from '../../../src/cli/program.js';
import type { CliIo } from '../../../src/cli/io.js';
import { bashCompletion } from '../../../src/docs/completion.js';

const silent: CliIo = { readStdin: async () => '', stdout: () => undefined, stderr: () => undefined };

/** The script's table: key -> value, as bash reads $'...'. */
function spec(script: string): Map<string, string> {
  const unquote = (s: string) => s.replace(/\\(.)/g, '$1');
  return new Map([...script.matchAll(/^ {2}\[\$'((?:[^'\\]|\\.)*)'\]=\$'((?:[^'\\]|\\.)*)'$/gm)].map((m) => [unquote(m[1]!), unquote(m[2]!)]));
}

describe('bash completion', () => {
  const program = buildProgram(silent);
  const table = spec(bashCompletion(program));

  test('knows every command and every option --help shows', () => {
    const help = program.createHelp();
    expect(table.get(' commands')!.split(' ')).toEqual(program.commands.map((c) => c.name()));
    for (const cmd of program.commands) {
      const flags = table.get(`${cmd.name()} options`)!.split(' ');
      for (const o of help.visibleOptions(cmd)) expect(flags).toContain(o.long);
    }
  });

  test('completes --to with its choices, on|off values with their words, names from live sources', () => {
    expect(table.get('convert --to')).toBe('words:hostdev,interface,network');
    expect(table.get('attach --trust')).toBe('words:on,off');
    expect(table.get('attach --link-state')).toBe('words:auto,enable,disable');
    expect(table.get('attach --pf')).toBe('pf');
    expect(table.get('attach --network')).toBe('network');
    expect(table.get('attach arguments')).toBe('domain');
    expect(table.get('detach --vf')).toBe('vf');
    expect(table.get('logs --domain')).toBe('domain');
    expect(table.get('vfs arguments')).toBe('pf');
    expect(table.get('hook arguments')).toBe('words:qemu,network,daemon none...');
    // a network to create has no name to offer
    expect(table.get('network --name')).toBe('none');
    // a flag takes no value: the word after it is completed as usual
    expect(table.has('status --json')).toBe(false);
  });

  test('follows the definitions: a new choice is completed', () => {
    const changed = buildProgram(silent);
    changed.commands.find((c) => c.name() === 'status')!.addOption(new Option('--format <f>', 'output format').choices(['table', 'yaml']));
    expect(spec(bashCompletion(changed)).get('status --format')).toBe('words:table,yaml');
  });
});
