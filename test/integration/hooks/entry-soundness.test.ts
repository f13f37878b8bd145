/**
 * The shell entry (src/hooks/entry-script.ts) against node's triage (src/hooks/triage.ts), on
 * what libvirt really passed (the captures), the fixtures, and generated domain and network XML:
 * it never answers by itself a call node's triage would handle, and on input libvirt can send
 * (no NUL byte) it answers every other one itself, logging the line node's hook would.
 *
 * The entries are generated from the source and run by bash, with a stand-in for node that
 * records what it was given. Every case runs in one bash driver: a process per case, no more.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFacts, FACTS_FILE } from '../../../src/hooks/entry-facts.js';
import { entryScript } from '../../../src/hooks/entry-script.js';
import type { HookName } from '../../../src/hooks/run-hook.js';
import { needsWork, NOTHING_TO_DO, operationRule, OPERATIONS } from '../../../src/hooks/triage.js';
import { captureStdin, listCaptureFiles } from '../../support/fake-host.js';
import { argvWord, domainXmlCase, garbage, hookDataCase } from '../../support/hardening-inputs.js';

const VERSION = '1.2.3-test';
const HOOKS: readonly HookName[] = ['qemu', 'network', 'daemon'];
let dir: string;

interface Setup {
  readonly name: string;
  /** The hooks and operations whose answer this setup changes (all of them: undefined). */
  readonly only?: Partial<Record<HookName, readonly string[]>>;
  readonly generated: number;
  readonly pfsConfigured: boolean;
  readonly vfsHeld: boolean;
  /** Whether the facts file matches the config: stale ones send every call to node. */
  readonly fresh: boolean;
}
const SETUPS: readonly Setup[] = [
  { name: 'plain', generated: 120, pfsConfigured: false, vfsHeld: false, fresh: true },
  { name: 'held', generated: 20, only: { qemu: ['stopped', 'release', 'prepare'] }, pfsConfigured: false, vfsHeld: true, fresh: true },
  { name: 'pfs', generated: 10, only: { daemon: ['start', 'shutdown'], qemu: ['stopped'] }, pfsConfigured: true, vfsHeld: false, fresh: true },
  { name: 'stale', generated: 10, only: { qemu: ['prepare', 'started'], network: ['start'], daemon: ['start'] }, pfsConfigured: false, vfsHeld: false, fresh: false },
];

/** An install per setup: config, facts, state, log, the three entries baked, node a recorder. */
function install(s: Setup): string {
  const root = join(dir, s.name);
  const code = join(root, 'lib');
  mkdirSync(join(code, '.cache'), { recursive: true });
  mkdirSync(join(root, 'state', 'vfs'), { recursive: true });
  if (s.vfsHeld) writeFileSync(join(root, 'state', 'vfs', '0000:01:10.2.json'), '{}');
  const config = join(root, 'config.json');
  const text = `${JSON.stringify({ pfs: s.pfsConfigured ? { eth0: { numVfs: 2 } } : {}, logFile: join(root, 'log'), stateDir: join(root, 'state') }, null, 2)}\n`;
  writeFileSync(config, s.fresh ? text : text.replace('"pfs"', '"releasePolicy": "reset",\n  "pfs"'));
  writeFileSync(join(root, 'log'), '');
  writeFileSync(join(code, FACTS_FILE), configFacts(VERSION, { configPath: config, text, logFile: join(root, 'log'), stateDir: join(root, 'state'), pfsConfigured: s.pfsConfigured })!);
  // node: what it was started with, and its stdin, in the case's own files
  const node = join(root, 'node');
  writeFileSync(node, '#!/bin/bash\nprintf "%s\\0" "$VIRT_SRIOV_FACTS_STALE" "$@" > "$CASE.node-args"\ncat > "$CASE.node-stdin"\n');
  chmodSync(node, 0o755);
  for (const h of HOOKS) {
    const file = join(root, h);
    writeFileSync(file, entryScript(h, VERSION)
      .replace('VIRT_SRIOV_NODE_PATH=', `VIRT_SRIOV_NODE_PATH=${node}`)
      .replace('VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json', `VIRT_SRIOV_CONFIG_PATH=${config}`)
      .replace('VIRT_SRIOV_OPERATIONS_PATH=', `VIRT_SRIOV_OPERATIONS_PATH=${join(code, 'operations.cjs')}`));
    chmodSync(file, 0o755);
  }
  return root;
}

interface Case {
  readonly hook: HookName;
  readonly argv: readonly string[];
  readonly stdin: string;
  readonly how: string;
}

interface Outcome {
  readonly toNode: boolean;
  readonly stale: boolean;
  readonly nodeArgs: string[];
  readonly nodeStdin: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: number;
  readonly logged: Record<string, unknown>[];
}

/** Run every case under one setup, in one bash driver (half through a pipe, half from a file). */
function runAll(root: string, cases: readonly Case[]): Outcome[] {
  const work = join(root, 'cases');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const lines: string[] = [];
  cases.forEach((c, i) => {
    const base = join(work, String(i));
    writeFileSync(`${base}.in`, c.stdin);
    writeFileSync(`${base}.argv`, c.argv.map((a) => `${a}\0`).join(''));
    lines.push(base);
  });
  writeFileSync(join(work, 'list'), lines.join('\n') + '\n');
  const driver = `
n=0
while IFS= read -r base; do
  mapfile -d '' -t argv < "$base.argv"
  : > "$root/log"
  # libvirt writes to a pipe: one case in eight (a pipe costs a process here); the rest from a file
  if (( n++ % 8 )); then
    CASE=$base "$root/$(<"$base.hook")" "\${argv[@]}" < "$base.in" > "$base.out" 2> "$base.err"
  else
    cat "$base.in" | CASE=$base "$root/$(<"$base.hook")" "\${argv[@]}" > "$base.out" 2> "$base.err"
  fi
  echo $? > "$base.rc"
  printf '%s' "$(<"$root/log")" > "$base.log"
done < "$1"`;
  cases.forEach((c, i) => writeFileSync(join(work, `${i}.hook`), c.hook));
  const r = spawnSync('bash', ['-c', driver, 'driver', join(work, 'list')], { env: { ...process.env, root }, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`driver: ${r.status} ${r.stderr}`);
  return cases.map((_, i) => {
    const base = join(work, String(i));
    const toNode = existsSync(`${base}.node-args`);
    const args = toNode ? readFileSync(`${base}.node-args`, 'utf8').split('\0').slice(0, -1) : [];
    return {
      toNode, stale: args[0] === '1', nodeArgs: args.slice(2), nodeStdin: toNode ? readFileSync(`${base}.node-stdin`, 'latin1') : '',
      stdout: readFileSync(`${base}.out`, 'latin1'), stderr: readFileSync(`${base}.err`, 'utf8'), exit: Number(readFileSync(`${base}.rc`, 'utf8')),
      logged: readFileSync(`${base}.log`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  });
}

/** What node's triage sees of a case, given what bash read (bash strings hold no NUL; trailing newlines go). */
const asRead = (s: string) => Buffer.from(s, 'utf8').toString('latin1').replace(/\0/g, '').replace(/\n+$/, '');

/** Whether the case was answered as node's triage would: the problem, or null. */
function judge(s: Setup, c: Case, o: Outcome): string | null {
  const [object = '-', op = '', subop = '-'] = c.argv;
  const rule = operationRule(c.hook, op);
  const facts = { pfsConfigured: s.pfsConfigured, vfsHeld: s.vfsHeld };
  const work = rule !== undefined && needsWork(c.hook, op, c.stdin, facts);
  if (work && !o.toNode) return 'answered a call node would handle';
  if (o.toNode) {
    if (o.nodeArgs.join('\0') !== c.argv.join('\0')) return `node got argv ${JSON.stringify(o.nodeArgs)}`;
    // stdin as it came, or as bash read it (then with one newline after it)
    const got = o.nodeStdin;
    if (got !== Buffer.from(c.stdin, 'utf8').toString('latin1') && got !== `${asRead(c.stdin)}\n`) return 'node got another stdin';
    if (o.stale !== !s.fresh) return `stale flag ${o.stale} with facts ${s.fresh ? 'fresh' : 'stale'}`;
    if (o.logged.length) return 'logged a line and went to node';
    // the only calls it may leave to node without cause: stale facts, words JSON escapes, a NUL
    const words = `${object}${op}${subop}`;
    if (s.fresh && !work && /^[\x20-\x7e]*$/.test(words) && !/["\\]/.test(words) && !c.stdin.includes('\0')) return 'went to node with nothing to do';
    return null;
  }
  if (o.exit !== 0 || o.stderr !== '') return `exit ${o.exit}, stderr ${o.stderr}`;
  if (o.logged.length !== 1) return `${o.logged.length} log lines`;
  const line = o.logged[0]!;
  const result = rule ? NOTHING_TO_DO[c.hook] : 'ignored';
  const want = { hook: c.hook, op, subop, object, result, vfs: [], changes: [], notes: [] };
  for (const [k, v] of Object.entries(want)) if (JSON.stringify(line[k]) !== JSON.stringify(v)) return `logged ${k} ${JSON.stringify(line[k])}, not ${JSON.stringify(v)}`;
  if (!Number.isInteger(line.durationMs) || Number.isNaN(Date.parse(String(line.time)))) return `logged ${JSON.stringify(line)}`;
  if (Math.abs(Date.parse(String(line.time)) - Date.now()) > 600_000) return `logged the time ${String(line.time)}`;
  const echo = rule?.echoesXml ? `${asRead(c.stdin)}\n` : '';
  if (o.stdout !== echo) return `printed ${JSON.stringify(o.stdout.slice(0, 200))}`;
  return null;
}

// ---- the inputs ----

const qemuOps = [...Object.keys(OPERATIONS.qemu), 'started', 'attach'];
const networkOps = [...Object.keys(OPERATIONS.network), 'started', 'stopped', 'updated'];
const daemonOps = ['start', 'shutdown', 'reload'];
const opsOf = (h: HookName) => (h === 'qemu' ? qemuOps : h === 'network' ? networkOps : daemonOps);

/** Every capture and fixture, under every operation of its hook. */
function recordedCases(): Case[] {
  const out: Case[] = [];
  for (const file of listCaptureFiles()) {
    const hook = file.split('.')[0] as HookName;
    for (const op of opsOf(hook)) out.push({ hook, argv: [file.split('.')[1]!, op, 'begin', '-'], stdin: captureStdin(file), how: `capture ${file}` });
  }
  for (const f of readdirSync(new URL('../../fixtures/domains', import.meta.url))) {
    const xml = readFileSync(new URL(`../../fixtures/domains/${f}`, import.meta.url), 'utf8');
    for (const op of qemuOps) out.push({ hook: 'qemu', argv: ['vm', op, 'begin', '-'], stdin: xml, how: `fixture ${f}` });
  }
  return out;
}

/** XML white space, or (rarely) something else a careless writer might put there. */
const space = fc.oneof({ arbitrary: fc.constantFrom(' ', '\n  ', '\t', '\r\n', '  '), weight: 8 }, { arbitrary: fc.constantFrom('', '\v', '\u00a0', '\f'), weight: 1 });
const quote = fc.constantFrom("'", '"');

/** A device element as libvirt or a hand writes it: any order of attributes, any spacing and quotes. */
const device = fc.oneof(
  fc.tuple(space, fc.constantFrom('hostdev', 'hostdevx', 'hostdev/', 'Hostdev', 'host-dev'), fc.constantFrom('>', ' mode="subsystem">', '/>')).map(([sp, name, rest]) => `<${name}${rest.startsWith(' ') ? sp + rest.trimStart() : rest}`),
  fc.tuple(space, space, space, quote, fc.constantFrom('hostdev', 'network', 'bridge', 'direct', 'user', 'Hostdev', 'hostdev2'), fc.boolean(), fc.constantFrom('type', 'xtype', 'TYPE'))
    .map(([a, b, c, q, type, before, attr]) => `<interface${a}${before ? `managed=${q}yes${q}${a}` : ''}${attr}${b}=${c}${q}${type}${q}${before ? '' : `${a}managed='no'`}><source network='x'/></interface>`),
  fc.tuple(space, quote, fc.constantFrom('hostdev', 'nat', 'bridge', 'passthrough', 'Hostdev'), fc.boolean())
    .map(([sp, q, mode, managed]) => `<forward${sp}${managed ? `managed=${q}yes${q}${sp}` : ''}mode${sp.trim() ? '' : sp}=${q}${mode}${q}/>`),
  fc.constantFrom("<disk type='file'/>", '<metadata><x:vfs xmlns:x="http://virt-sriov.org/xmlns/domain/1.0"/></metadata>', '<!-- <hostdev> -->', "<interface type='bridge'/>", '<video/>'),
);

/** A domain or network document built from those devices. */
const builtDocument = fc.tuple(fc.constantFrom('domain', 'hookData'), fc.array(device, { maxLength: 6 }))
  .map(([root, devices]) => `<${root}><name>x</name><devices>\n${devices.join('\n')}\n</devices></${root}>\n`);

/** A word as a process gets it: no NUL, valid UTF-8. */
const argvOf = (w: string) => Buffer.from(w.replace(/\0/g, ''), 'utf8').toString('utf8');

/** A case for one hook: generated XML (built, mutated captures, garbage) under one of its operations. */
function generatedCase(hook: HookName, ops: readonly string[] = opsOf(hook)): fc.Arbitrary<Case> {
  const xml = fc.oneof(
    { arbitrary: builtDocument.map((text) => ({ text, how: 'built' })), weight: 4 },
    { arbitrary: hook === 'network' ? hookDataCase('http://127.0.0.1:9/x', '/nonexistent') : domainXmlCase('http://127.0.0.1:9/x', '/nonexistent'), weight: 3 },
    { arbitrary: garbage(), weight: 1 },
  );
  const object = fc.oneof({ arbitrary: fc.constantFrom('vm', 'l2-net', '-', 'sriov'), weight: 6 }, { arbitrary: argvWord, weight: 1 });
  return fc.tuple(xml, object, fc.constantFrom(...ops), fc.constantFrom('begin', 'end', '-'))
    // a huge document costs bash nothing more to judge, but this test a lot to write out
    .filter(([x]) => x.text.length < 300_000)
    .map(([x, o, op, sub]) => ({ hook, argv: [argvOf(o), op, sub, '-'], stdin: x.text, how: x.how }));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'virt-sriov-entry-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the shell entry never answers by itself a call node would handle', () => {
  test.each(SETUPS.map((s) => [s.name, s] as const))('captures, fixtures and generated XML, setup %s', (_name, s) => {
    const root = install(s);
    const seed = Number(process.env.HARDENING_SEED ?? 42);
    const mine = (c: Case) => !s.only || (s.only[c.hook]?.includes(c.argv[1]!) ?? false);
    const hooks = HOOKS.filter((h) => !s.only || s.only[h]);
    const generated = hooks.flatMap((h) => fc.sample(generatedCase(h, s.only?.[h]), { numRuns: h === 'daemon' ? 10 : s.generated, seed: seed + h.length }));
    const cases = [...recordedCases().filter(mine), ...generated];
    const outcomes = runAll(root, cases);
    const problems = cases.flatMap((c, i) => {
      const p = judge(s, c, outcomes[i]!);
      return p ? [`${c.hook} ${JSON.stringify(c.argv)} (${c.how}, ${c.stdin.length} chars): ${p}`] : [];
    });
    expect({ seed, problems: problems.slice(0, 5) }).toEqual({ seed, problems: [] });
    const answered = outcomes.filter((o) => !o.toNode).length;
    if (!s.only) expect(answered).toBeGreaterThan(cases.length / 4);
    if (!s.fresh) expect(answered).toBe(0);
  }, 300_000);
});
