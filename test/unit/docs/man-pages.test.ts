/**
 * The man pages are written from the CLI's definitions and the config's schema: every command,
 * argument and option `--help` shows is in virt-sriov(8), with --help's words, and every config
 * key, its type and default in virt-sriov.json(5). Rendering (groff, man) is checked by the
 * integration suite on the built pages.
 */
import { describe, expect, test } from '@jest/globals';
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { configSchema, parseConfig } from '../../../src/config/config.js';
import { buildProgram } from '../../../src/cli/program.js';
import type { CliIo } from '../../../src/cli/io.js';
import { releaseDate } from '../../../src/docs/generate.js';
import { cliManPage } from '../../../src/docs/man-cli.js';
import { CONFIG_EXAMPLE, configKeys, configManPage, type Schema } from '../../../src/docs/man-config.js';
import { roffText } from '../../../src/docs/roff.js';

const silent: CliIo = { readStdin: async () => '', stdout: () => undefined, stderr: () => undefined };
const info = { version: '9.8.7', date: '2031-01-02' };

describe('virt-sriov(8)', () => {
  const program = buildProgram(silent);
  const page = cliManPage(program, info);

  test('has every command, with its description, usage, arguments and options as --help says them', () => {
    const help = program.createHelp();
    for (const cmd of program.commands) {
      expect(page).toContain(roffText(`virt-sriov ${cmd.name()}`));
      expect(page).toContain(roffText(help.commandDescription(cmd)));
      expect(page).toContain(roffText(`Usage: ${help.commandUsage(cmd)}`));
      for (const a of help.visibleArguments(cmd)) expect(page).toContain(roffText(help.argumentDescription(a)));
      for (const o of help.visibleOptions(cmd)) expect(page).toContain(roffText(help.optionDescription(o)));
    }
  });

  test('has each command\'s extra help text (styles, stdin of a replay)', () => {
    expect(page).toContain(roffText('interface  <interface type=\'hostdev\'>: libvirt >= 0.9.11, qemu >= 1.3'));
    expect(page).toContain(roffText('stdin: what libvirt gives the hook.'));
  });

  test('follows the definitions: an option added to a command is in the page', () => {
    const changed = buildProgram(silent);
    changed.commands.find((c) => c.name() === 'status')!.addOption(new Option('--brand-new <thing>', 'a brand new option'));
    const text = cliManPage(changed, info);
    expect(text).toContain('a brand new option');
    expect(page).not.toContain('a brand new option');
  });

  test('is a man(7) page of section 8 with the version and date given, the seed\'s workflow as examples', () => {
    expect(page.split('\n').find((l) => l.startsWith('.TH'))).toBe('.TH "VIRT\\-SRIOV" "8" "2031\\-01\\-02" "virt\\-sriov 9.8.7" "System Administration"');
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'COMMANDS', 'EXAMPLES', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'SEE ALSO']) {
      expect(page).toMatch(new RegExp(`^\\.SH ${section}$`, 'm'));
    }
    expect(page).toContain(roffText('virt-sriov network --name sriov --pf eth1 --vlan 403 --define --autostart'));
  });

  test('no line of text can be read as a request: a description starting with a dot is escaped', () => {
    const cmd = new Command('x').description('.TH evil');
    expect(cliManPage(new Command('virt-sriov').addCommand(cmd), info)).toContain('\\&.TH evil');
  });
});

describe('virt-sriov.json(5)', () => {
  const page = configManPage(buildProgram(silent), info);

  test('has every key of the schema with its type; a record\'s keys are named for what they are', () => {
    const paths = configKeys(configSchema() as unknown as Schema).map((k) => k.path);
    expect(paths).toEqual(expect.arrayContaining(['pfs', 'pfs.PF.numVfs', 'pfs.PF.quirks', 'releasePolicy', 'networks', 'networks.NETWORK.vlan',
      'networks.NETWORK.maxTxRate', 'logFile', 'stateDir', 'sysfsRoot', 'ipCommand']));
    for (const p of paths) expect(page).toContain(`.TP\n\\fB${roffText(p)} (`);
    expect(page).toContain(roffText('releasePolicy ("restore" or "reset")'));
    expect(page).toContain(roffText('pfs.PF.numVfs (integer 0..4096, required)'));
    expect(page).toContain(roffText('networks.NETWORK.vlan (integer 1..4094)'));
    // a record of records: each level named
    expect(paths).toEqual(expect.arrayContaining(['physicalNetworks', 'physicalNetworks.PHYSNET', 'physicalNetworks.PHYSNET.HOST']));
    expect(page).toContain(roffText('physicalNetworks.PHYSNET.HOST (array of string)'));
  });

  test('a network\'s VF settings say what attach\'s options of the same name say', () => {
    expect(page).toContain(roffText('networks.NETWORK.trust (true or false)'));
    expect(page).toContain(roffText('let the guest change its MAC and use promiscuous/multicast modes.'));
  });

  test('its example is a config the hooks accept', () => {
    expect(() => parseConfig(CONFIG_EXAMPLE, 'the man page\'s example')).not.toThrow();
    expect(page).toContain(roffText('"numVfs": 8'));
  });
});

describe('one version', () => {
  test('CHANGELOG.md dates the release package.json names (the pages\' date)', () => {
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
    expect(releaseDate(readFileSync('CHANGELOG.md', 'utf8'), version)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test('a version the changelog doesn\'t have is an error that says what to do', () => {
    expect(() => releaseDate('# Changelog\n## [0.1.0] - 2026-12-05\n', '0.2.0')).toThrow(/CHANGELOG.md has no "## \[0.2.0\] - YYYY-MM-DD" heading/);
  });
});
