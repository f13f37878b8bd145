/**
 * Bad hookData on the network hook, 10,000 cases a run: hostile <pf dev>, VF addresses, owners
 * and VLANs, and the captured hookData truncated, edited, duplicated, namespaced and with entity
 * tricks. Every name and number that reaches `ip` or sysfs is checked on the way.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { HookBench } from '../support/hook-bench.js';
import { argvWord, hookDataCase, HOSTILE_NAMES } from '../support/hardening-inputs.js';
import {
  RUNS, baseline, contractProblem, fastBench, fcParams, fingerprint, recordFigure, restore, runWatched, seedFor, since, throwIfFailed, watch, type Baseline,
} from '../support/hardening.js';
import { startTenant } from '../support/hardening-scenarios.js';

let bench: HookBench;
let base: Baseline;
const FETCH = 'http://127.0.0.1:9'; // discard port: nothing listens, and nothing may try

beforeAll(async () => {
  bench = fastBench([
    { name: 'eth0', pci: '0000:01:00.0', numVfs: 3 },
    { name: 'eth1', pci: '0000:81:00.0', numVfs: 2 },
  ], { pfs: { eth0: { numVfs: 3 } }, networks: { sriov: { vlan: 100, trust: false } } });
  await startTenant(bench);
  base = baseline(bench);
});

afterAll(() => bench?.remove());

const OPS = fc.oneof(
  { arbitrary: fc.constantFrom('start', 'port-created', 'port-deleted'), weight: 8 },
  { arbitrary: fc.constantFrom('started', 'stopped', 'updated', 'plugged', 'unplugged'), weight: 2 },
  { arbitrary: argvWord, weight: 1 },
);

describe('network hookData, hostile and mutated', () => {
  test(`${RUNS} cases: no exception, clear messages, nothing unchecked reaches ip or sysfs, bad input changes nothing`, async () => {
    const seed = seedFor();
    const started = Date.now();
    let changed = 0;
    let refused = 0;
    const details = await fc.check(fc.asyncProperty(hookDataCase(FETCH, '/nonexistent/secret'), OPS, async (c, op) => {
      const watched = watch(bench.host);
      let r;
      try {
        r = await runWatched(bench, watched, 'network', ['sriov', op, op === 'stopped' ? 'end' : 'begin', '-'], c.text);
      } catch (e) {
        throw new Error(`runHook threw (${c.how}): ${(e as Error).stack}`);
      }
      const problem = contractProblem('network', op, r);
      if (problem) throw new Error(`${op} with ${c.how}: ${problem}`);
      if (watched.problems.length) throw new Error(`${op} with ${c.how}: ${watched.problems.join('; ')}`);
      if (r.exitCode) refused++;
      if (fingerprint(bench) !== base.fingerprint) {
        // only a port libvirt gave a VF of this host may claim it; nothing else changes anything
        if (!(r.exitCode === 0 && !c.bad && op === 'port-created')) throw new Error(`${op} (exit ${r.exitCode}) with ${c.how} changed the host or the state`);
        changed++;
        restore(bench, base);
      }
    }), fcParams(seed));
    recordFigure('bad-input-network', {
      threat: 'malformed or hostile network hookData (PF names, VF addresses)',
      cases: details.numRuns, failures: details.failed ? 1 : 0, seed, seconds: since(started),
    });
    console.log(`network hookData: ${details.numRuns} cases (seed ${seed}) in ${since(started)} s; ${refused} refused, ${changed} claimed a VF`);
    throwIfFailed(details);
  }, 300_000);

  test.each(HOSTILE_NAMES.map((n) => [JSON.stringify(n).slice(0, 40), n]))('<pf dev=%s/> is refused before it reaches sysfs or ip', async (_, name) => {
    restore(bench, base);
    const watched = watch(bench.host);
    const esc = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');
    const hookData = `<hookData><network><name>pool</name><forward mode='hostdev' managed='yes'><pf dev='${esc}'/></forward></network></hookData>`;
    const r = await runWatched(bench, watched, 'network', ['pool', 'start', 'begin', '-'], hookData);
    expect(watched.problems).toEqual([]);
    expect(watched.ipCalls).toEqual([]);
    expect(watched.sysfsWrites).toEqual([]);
    if (name === '') {
      expect(r).toEqual({ exitCode: 0, stdout: '', stderr: '' }); // no PF named: none of ours
    } else if (name.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') {
      expect(r.exitCode).toBe(1);
      // a NUL can't be in XML at all
      expect(r.stderr).toMatch(name.includes('\0') ? /^virt-sriov: the network XML from libvirt: malformed XML/ : /^virt-sriov: network pool: <pf dev=".*"\/> is not a network interface name/);
    }
    expect(fingerprint(bench)).toBe(base.fingerprint);
  });
});
