/**
 * The built hook as install.sh lays it out (dist/hooks/<hook>.bash as the hook file, node's hook
 * and the operations beside each other), run as libvirt runs it, stdin on a pipe: how the shell
 * entry and node's hook share the work. The facts the entry answers with come from node, and go
 * when node finds a file it trusts loosened; the hook libvirt < 6.5 chained runs first.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FACTS_FILE } from '../../../src/hooks/entry-facts.js';
import { captureStdin } from '../../support/fake-host.js';
import { PROJECT, readHookLog, requireBuild } from './hook-suite.js';

let dir: string;
let code: string;
let config: string;
const logFile = () => join(dir, 'virt-sriov.log');
const facts = () => join(code, FACTS_FILE);
const plain = captureStdin('qemu.l2-hostdev.prepare.begin.xml').replace(/<hostdev[\s\S]*<\/hostdev>\n/, '');

/** install.sh's layout and baking, in `dir`. */
function install(): void {
  code = join(dir, 'lib');
  mkdirSync(code, { recursive: true });
  const bake = (text: string) => text.replace('VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json', `VIRT_SRIOV_CONFIG_PATH=${config}`)
    .replace('VIRT_SRIOV_OPERATIONS_PATH=', `VIRT_SRIOV_OPERATIONS_PATH=${join(code, 'operations.cjs')}`).replace('VIRT_SRIOV_NODE_PATH=', `VIRT_SRIOV_NODE_PATH=${process.execPath}`);
  copyFileSync(join(PROJECT, 'dist/hooks/operations.cjs'), join(code, 'operations.cjs'));
  writeFileSync(join(code, 'qemu.cjs'), bake(readFileSync(join(PROJECT, 'dist/hooks/qemu.cjs'), 'utf8')));
  writeFileSync(join(dir, 'qemu'), bake(readFileSync(join(PROJECT, 'dist/hooks/qemu.bash'), 'utf8')), { mode: 0o755 });
  chmodSync(join(dir, 'qemu'), 0o755);
}

/** The hook as libvirt runs it: the XML on a pipe. */
function hook(argv: string, stdin: string) {
  const r = spawnSync('bash', ['-c', 'printf "%s" "$XML" | "$0" "$@"', join(dir, 'qemu'), ...argv.split(' ')], { env: { ...process.env, XML: stdin }, encoding: 'utf8', timeout: 30_000 });
  return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => requireBuild());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'virt-sriov-entry-node-'));
  config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ logFile: logFile(), stateDir: join(dir, 'state') }, null, 2));
  chmodSync(config, 0o644);
  install();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the installed hook: shell entry and node', () => {
  test('node answers the first call and writes the facts; the entry answers the next ones alike, until the config changes', () => {
    expect(existsSync(facts())).toBe(false);
    expect(hook('plain prepare begin -', plain)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(readFileSync(facts(), 'utf8')).toContain(`${config}\n${logFile()}\n${join(dir, 'state')}\n0\n{`);
    // node's hook taken away: the next calls are answered by the entry alone, no node started
    // (how much faster that is, bench/ measures)
    const nodeHook = join(code, 'qemu.cjs');
    renameSync(nodeHook, `${nodeHook}.away`);
    for (let i = 0; i < 2; i++) expect(hook('plain prepare begin -', plain)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    renameSync(`${nodeHook}.away`, nodeHook);
    const lines = readHookLog(logFile());
    expect(lines.map((e) => `${e.op} ${e.result}`)).toEqual(['prepare ok', 'prepare ok', 'prepare ok']);
    // the same line from either: only the time and duration differ
    const strip = ({ time: _t, durationMs: _d, ...rest }: (typeof lines)[number]) => rest;
    expect(strip(lines[2]!)).toEqual(strip(lines[0]!));

    // a config changed to PFs: the facts are stale, node answers and writes them anew
    writeFileSync(config, JSON.stringify({ logFile: logFile(), stateDir: join(dir, 'state'), pfs: { eth0: { numVfs: 2 } } }));
    hook('plain prepare begin -', plain);
    expect(readFileSync(facts(), 'utf8')).toContain(`${join(dir, 'state')}\n1\n{`);
  });

  test('a config or hook file loosened after the facts were written: node, at its next call, withdraws them', () => {
    hook('plain prepare begin -', plain);
    expect(existsSync(facts())).toBe(true);
    chmodSync(config, 0o666);
    // the entry can't see a mode without a process: a call with nothing to do is still its own
    expect(hook('plain prepare begin -', plain).exitCode).toBe(0);
    // a call with work goes to node, which refuses the config and withdraws the facts
    const r = hook('l2-hostdev prepare begin -', captureStdin('qemu.l2-hostdev.prepare.begin.xml'));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('is writable by its group and others');
    expect(existsSync(facts())).toBe(false);
    // from then on node sees every call, and refuses them as before the entry existed
    expect(hook('plain prepare begin -', plain).exitCode).toBe(1);
    chmodSync(config, 0o644);
    hook('plain prepare begin -', plain);
    chmodSync(join(dir, 'qemu'), 0o757);
    const h = hook('l2-hostdev prepare begin -', captureStdin('qemu.l2-hostdev.prepare.begin.xml'));
    expect(h.stderr).toContain(`hook file ${join(dir, 'qemu')} is writable by others`);
    expect(existsSync(facts())).toBe(false);
  });

  test('libvirt < 6.5: the chained hook runs first; its output becomes the XML for migrate and restore only', () => {
    const chained = join(dir, 'qemu.before-virt-sriov');
    writeFileSync(chained, '#!/bin/sh\ncat >/dev/null\necho "<domain><name>from-chained-$2</name></domain>"\n', { mode: 0o755 });
    chmodSync(chained, 0o755);
    hook('plain prepare begin -', plain); // facts written: the chain still goes through node
    expect(hook('plain migrate begin -', plain).stdout).toBe('<domain><name>from-chained-migrate</name></domain>\n');
    expect(hook('plain restore begin -', plain).stdout).toBe('<domain><name>from-chained-restore</name></domain>\n');
    // for prepare, libvirt reads no output of a hook: the XML worked on is libvirt's, and none printed
    expect(hook('plain prepare begin -', plain)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(readHookLog(logFile()).map((e) => `${e.op} ${e.result}`)).toEqual(['prepare ok', 'migrate ok', 'restore ok', 'prepare ok']);
    // a chained hook that fails stops the call, as libvirt would have stopped at it
    writeFileSync(chained, '#!/bin/sh\necho no >&2\nexit 3\n');
    expect(hook('plain prepare begin -', plain)).toEqual({ exitCode: 3, stdout: '', stderr: 'no\n' });
  });
});
