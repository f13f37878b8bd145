/**
 * Hook argv as libvirt never sends it, 10,000 cases a run: words missing or extra, unknown
 * operations, operations named like Object's own properties (`constructor`, `__proto__`), hostile
 * object names; for all three hooks, with real, empty or broken stdin.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { HookName } from '../../src/hooks/run-hook.js';
import { captureStdin } from '../support/fake-host.js';
import type { HookBench } from '../support/hook-bench.js';
import { hookArgv } from '../support/hardening-inputs.js';
import {
  RUNS, baseline, contractProblem, fastBench, fcParams, fingerprint, recordFigure, restore, runWatched, seedFor, since, throwIfFailed, watch, type Baseline,
} from '../support/hardening.js';
import { startTenant } from '../support/hardening-scenarios.js';

let bench: HookBench;
let base: Baseline;

beforeAll(async () => {
  bench = fastBench([
    { name: 'eth0', pci: '0000:01:00.0', numVfs: 3 },
    { name: 'eth1', pci: '0000:81:00.0', numVfs: 2 },
  ], { pfs: { eth0: { numVfs: 3 }, eth1: { numVfs: 2 } } });
  await startTenant(bench);
  base = baseline(bench);
});

afterAll(() => bench?.remove());

/** What virt-sriov handles (run-hook.ts); every other operation is ignored. */
const HANDLED: Record<HookName, readonly string[]> = {
  qemu: ['prepare', 'start', 'stopped', 'release', 'reconnect', 'migrate', 'restore'],
  network: ['start', 'port-created', 'port-deleted'],
  daemon: ['start'],
};
/** Handled operations that act on the host when their input is good. */
const CHANGING: Record<HookName, readonly string[]> = { qemu: ['prepare', 'start', 'reconnect'], network: ['port-created'], daemon: ['start'] };

const stdinFor = (hook: HookName) => fc.constantFrom(
  hook === 'qemu' ? captureStdin('qemu.l2-hostdev.prepare.begin.xml') : hook === 'network' ? captureStdin('network.sriov.port-created.begin.xml') : captureStdin('daemon.-.start.-.xml'),
  '', '<', 'not xml at all', '<domain><name>x</name></domain>',
);

describe('hook argv: missing, extra and unknown words', () => {
  test(`${RUNS} cases: unknown operations are ignored (exit 0, nothing touched); the rest keep the contract`, async () => {
    const seed = seedFor();
    const started = Date.now();
    let ignored = 0;
    const details = await fc.check(fc.asyncProperty(
      fc.constantFrom<HookName>('qemu', 'network', 'daemon').chain((hook) => fc.tuple(fc.constant(hook), hookArgv, stdinFor(hook))),
      async ([hook, argv, stdin]) => {
        const watched = watch(bench.host);
        const r = await runWatched(bench, watched, hook, argv, stdin).catch((e: Error) => {
          throw new Error(`runHook threw for ${hook} ${JSON.stringify(argv)}: ${e.stack}`);
        });
        const op = argv[1];
        const problem = contractProblem(hook, op, r);
        if (problem) throw new Error(`${hook} ${JSON.stringify(argv)}: ${problem}`);
        if (watched.problems.length) throw new Error(`${hook} ${JSON.stringify(argv)}: ${watched.problems.join('; ')}`);
        const handled = op !== undefined && HANDLED[hook].includes(op);
        if (!handled) {
          ignored++;
          if (r.exitCode !== 0 || r.stderr || r.stdout || watched.ipCalls.length || watched.sysfsWrites.length) {
            throw new Error(`${hook} ${JSON.stringify(argv)}: an unknown operation did something: ${JSON.stringify(r)}`);
          }
        }
        if (fingerprint(bench) !== base.fingerprint) {
          if (!(r.exitCode === 0 && op !== undefined && CHANGING[hook].includes(op))) throw new Error(`${hook} ${JSON.stringify(argv)} changed the host`);
          restore(bench, base);
        }
      },
    ), fcParams(seed));
    recordFigure('bad-input-argv', {
      threat: 'hook argv: missing, extra, unknown operations',
      cases: details.numRuns, failures: details.failed ? 1 : 0, seed, seconds: since(started),
    });
    console.log(`hook argv: ${details.numRuns} cases (seed ${seed}) in ${since(started)} s; ${ignored} unknown operations ignored`);
    throwIfFailed(details);
  }, 300_000);

  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', '__defineGetter__'])('an operation named %s is unknown: exit 0, nothing done (regression)', async (op) => {
    for (const hook of ['qemu', 'network', 'daemon'] as const) {
      const stdin = hook === 'qemu' ? captureStdin('qemu.l2-hostdev.prepare.begin.xml') : captureStdin('network.sriov.port-created.begin.xml');
      const r = await runWatched(bench, watch(bench.host), hook, ['l2-hostdev', op, 'begin', '-'], stdin);
      expect(r).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    }
    expect(bench.lastLog()).toMatchObject({ op, result: 'ignored' });
  });
});
