/**
 * Bad domain XML on the qemu hook, 10,000 cases a run: captured XML truncated, edited, with
 * duplicate devices, huge attribute values, wrong namespaces, bad metadata values, and entity
 * tricks (billion laughs, external entities by file and http, external DTDs, XInclude). Every
 * case runs the hook in process, as the installed hook does, on a fake host where another guest
 * (tenant-a) runs with a VLAN of its own.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookBench } from '../support/hook-bench.js';
import { domainXmlCase, argvWord } from '../support/hardening-inputs.js';
import {
  RUNS, baseline, contractProblem, fastBench, fcParams, fingerprint, recordFigure, restore, runWatched, seedFor, since, throwIfFailed, watch, type Baseline,
} from '../support/hardening.js';
import { domainWithVf, startTenant, TENANT } from '../support/hardening-scenarios.js';

let bench: HookBench;
let server: Server;
let url: string;
let hits: string[] = [];
let secretFile: string;
const SECRET = `secret-${process.pid}-${Date.now()}`;
let base: Baseline;

beforeAll(async () => {
  bench = fastBench([
    { name: 'eth0', pci: '0000:01:00.0', numVfs: 3, refuses: ['state', 'proto'] },
    { name: 'eth1', pci: '0000:81:00.0', numVfs: 2 },
  ], { pfs: { eth0: { numVfs: 3 } } });
  await startTenant(bench);
  secretFile = join(bench.dir, 'secret.txt');
  writeFileSync(secretFile, SECRET);
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end(SECRET);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  base = baseline(bench);
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  bench?.remove();
});

const OPS = fc.oneof(
  { arbitrary: fc.constantFrom('prepare', 'start', 'stopped', 'release', 'reconnect', 'migrate', 'restore'), weight: 8 },
  { arbitrary: fc.constantFrom('started', 'attach'), weight: 1 },
  { arbitrary: argvWord, weight: 1 },
);
/** The operations that may change the host for good input. */
const CHANGING = new Set(['prepare', 'start', 'reconnect']);

describe('domain XML, truncated, mutated, duplicated, huge, namespaced, with entities', () => {
  test(`${RUNS} cases: no exception, never-fail ops exit 0, the rest fail only with a clear message; bad input changes nothing; no entity expanded or fetched`, async () => {
    const seed = seedFor();
    const started = Date.now();
    const tally = new Map<string, number>();
    let changed = 0;
    const details = await fc.check(fc.asyncProperty(domainXmlCase(url, secretFile), OPS, fc.boolean(), async (c, op, ownName) => {
      const object = ownName ? c.name : 'some-guest';
      if (process.env.HARDENING_TRACE) writeFileSync(process.env.HARDENING_TRACE, JSON.stringify({ op, how: c.how.slice(0, 200), len: c.text.length, text: c.text }));
      const watched = watch(bench.host);
      let r;
      try {
        r = await runWatched(bench, watched, 'qemu', [object, op, op === 'stopped' || op === 'release' ? 'end' : 'begin', '-'], c.text);
      } catch (e) {
        throw new Error(`runHook threw (${c.how}): ${(e as Error).stack}`);
      }
      const kind = c.how.replace(/[ \n].*/s, '');
      tally.set(kind, (tally.get(kind) ?? 0) + 1);
      const problem = contractProblem('qemu', op, r);
      if (problem) throw new Error(`${op} with ${c.how}: ${problem}`);
      if (watched.problems.length) throw new Error(`${op} with ${c.how}: ${watched.problems.join('; ')}`);
      if (r.stdout.includes(SECRET) || r.stderr.includes(SECRET)) throw new Error(`${op} with ${c.how}: the secret file's content came out`);
      // migrate/restore print the XML back, entity-free and never larger than a few times what came in
      if (r.stdout.length > c.text.length * 2 + 1024) throw new Error(`${op} with ${c.how}: ${r.stdout.length} bytes out of ${c.text.length}`);
      const now = fingerprint(bench);
      if (now !== base.fingerprint) {
        const allowed = r.exitCode === 0 && !c.bad && CHANGING.has(op);
        if (!allowed) throw new Error(`${op} (exit ${r.exitCode}) with ${c.how} changed the host or the state`);
        const tenant = JSON.parse(now).state[`${TENANT.pci}.json`];
        if (tenant !== JSON.parse(base.fingerprint).state[`${TENANT.pci}.json`] && op !== 'reconnect') {
          throw new Error(`${op} with ${c.how} changed tenant-a's record`);
        }
        changed++;
        restore(bench, base);
      }
    }), fcParams(seed));
    const log = readFileSync(join(bench.dir, 'virt-sriov.log'), 'utf8');
    const failures = details.failed ? 1 : 0;
    recordFigure('bad-input-domain-xml', {
      threat: 'malformed or hostile domain XML on the qemu hook',
      cases: details.numRuns, failures, seed, seconds: since(started),
    });
    console.log(`domain XML: ${details.numRuns} cases (seed ${seed}) in ${since(started)} s; ${changed} valid enough to act on; by kind ${JSON.stringify(Object.fromEntries(tally))}`);
    throwIfFailed(details);
    expect(hits).toEqual([]); // no entity, DTD or XInclude was fetched
    expect(log).not.toContain(SECRET);
    expect(fingerprint(bench)).toBe(base.fingerprint);
  }, 300_000);

  test('the billion laughs and an external entity are refused at once, naming the DOCTYPE, with nothing fetched', async () => {
    hits = [];
    restore(bench, base);
    const laughs = '<!DOCTYPE domain [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
      + '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n';
    const xxe = `<!DOCTYPE domain [<!ENTITY xxe SYSTEM "${url}/xxe">]>\n`;
    for (const [doctype, entity] of [[laughs, '&lol3;'], [xxe, '&xxe;']] as const) {
      const t = Date.now();
      const text = doctype + domainWithVf('vm-entity', '0000:01:10.2').replace('<name>vm-entity</name>', `<name>vm-entity${entity}</name>`);
      const r = await runWatched(bench, watch(bench.host), 'qemu', ['vm-entity', 'prepare', 'begin', '-'], text);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/^virt-sriov: the domain XML from libvirt: line 1: a DOCTYPE declaration is not allowed/);
      expect(Date.now() - t).toBeLessThan(1000);
    }
    expect(hits).toEqual([]);
    expect(fingerprint(bench)).toBe(base.fingerprint);
  });
});

afterAll(() => rmSync(secretFile, { force: true }));
