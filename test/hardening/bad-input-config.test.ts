/**
 * Config files as an admin (or an attacker) might leave them, 10,000 cases a run: the schema's
 * shape with good and hostile values, prototype keys, broken JSON, any text, and file modes
 * from 0600 to 0666. The hook reads its config on every call: each case runs loadConfig and
 * a hook that reads it (one of: a never-fail and a may-fail qemu operation, daemon start,
 * network start) in process, on a fake host.
 *
 * The hook log is captured in memory here: a config that can't be read sends the log to the
 * default path (/var/log/libvirt/virt-sriov.log), which a test must not write.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import fc from 'fast-check';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookLogEntry } from '../../src/log/hook-log.js';

const logged: { path: string; entry: HookLogEntry }[] = [];
jest.unstable_mockModule('../../src/log/hook-log.js', () => ({
  appendLog: (path: string, entry: HookLogEntry) => void logged.push({ path, entry }),
}));
const { loadConfig } = await import('../../src/config/config.js');
const { VirtSriovError } = await import('../../src/errors.js');
const { runHook } = await import('../../src/hooks/run-hook.js');
const { captureStdin } = await import('../support/fake-host.js');
const { configText } = await import('../support/hardening-inputs.js');
const h = await import('../support/hardening.js');

type Bench = import('../support/hook-bench.js').HookBench;
let bench: Bench;
let base: ReturnType<typeof h.baseline>;
let file: string;

beforeAll(() => {
  bench = h.fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }]);
  base = h.baseline(bench);
  mkdirSync(join(bench.dir, 'configs'));
  file = join(bench.dir, 'configs', 'config.json');
});

afterAll(() => bench?.remove());

/** Modes an admin's umask or a careless chmod leave: safe ones most of the time, so the content is tried too. */
const MODE = fc.oneof({ arbitrary: fc.constantFrom(0o600, 0o644, 0o640, 0o400), weight: 4 }, { arbitrary: fc.constantFrom(0o664, 0o666, 0o646, 0o660, 0o620, 0o602), weight: 1 });
const CONFIG_IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;

/** What loadConfig returns must be as validated as the schema says. */
function configProblem(c: ReturnType<typeof loadConfig>): string | null {
  for (const [pf, v] of Object.entries(c.pfs)) {
    if (!CONFIG_IFNAME.test(pf)) return `PF name ${JSON.stringify(pf)} passed`;
    if (!Number.isInteger(v.numVfs) || v.numVfs < 0 || v.numVfs > 4096) return `numVfs ${v.numVfs} passed`;
  }
  if (!['restore', 'reset'].includes(c.releasePolicy)) return `releasePolicy ${c.releasePolicy} passed`;
  for (const [n, d] of Object.entries(c.networks)) {
    if (d.vlan !== undefined && (!Number.isInteger(d.vlan) || d.vlan < 1 || d.vlan > 4094)) return `network ${n} vlan ${d.vlan} passed`;
    if (d.minTxRate !== undefined && (!Number.isInteger(d.minTxRate) || d.minTxRate < 0)) return `network ${n} minTxRate passed`;
  }
  if (!c.ipCommand.length || c.ipCommand.some((w) => typeof w !== 'string' || !w)) return 'a bad ipCommand passed';
  if (Object.getPrototypeOf(c.pfs) !== Object.prototype && Object.getPrototypeOf(c.pfs) !== null) return 'pfs with a strange prototype';
  return null;
}

const CALLS = [
  { hook: 'qemu', argv: ['l2-hostdev', 'release', 'end', '-'], stdin: captureStdin('qemu.l2-hostdev.release.end.xml') },
  { hook: 'qemu', argv: ['l2-hostdev', 'prepare', 'begin', '-'], stdin: captureStdin('qemu.l2-hostdev.prepare.begin.xml') },
  { hook: 'daemon', argv: ['-', 'start', '-', 'start'], stdin: '' },
  { hook: 'network', argv: ['sriov', 'start', 'begin', '-'], stdin: captureStdin('network.sriov.start.begin.xml') },
] as const;

describe('config files: any content, any mode', () => {
  test(`${h.RUNS} cases: loadConfig returns a validated config or one clear error; the hook that reads it keeps its contract; a group- or world-writable config is refused`, async () => {
    const seed = h.seedFor();
    const started = Date.now();
    let accepted = 0;
    let unsafe = 0;
    const details = await fc.check(fc.asyncProperty(configText(bench.dir), MODE, fc.constantFrom(...CALLS), async (c, mode, call) => {
      writeFileSync(file, c.text);
      chmodSync(file, mode);
      let config: ReturnType<typeof loadConfig> | null = null;
      try {
        config = loadConfig(file);
      } catch (e) {
        if (!(e instanceof VirtSriovError)) throw new Error(`loadConfig threw ${(e as Error).stack} for ${c.how} ${c.text.slice(0, 200)}`);
        if (!e.message.startsWith(`config ${file}`)) throw new Error(`an error that does not name the file: ${e.message}`);
        if (/undefined|\[object Object\]/.test(e.message)) throw new Error(`an unclear error: ${e.message}`);
      }
      if (mode & 0o022) {
        unsafe++;
        if (config) throw new Error(`a config with mode ${mode.toString(8)} was used`);
      }
      if (config) {
        accepted++;
        const problem = configProblem(config);
        if (problem) throw new Error(`${problem} (${c.text.slice(0, 300)})`);
      }
      if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype was polluted');
      {
        const watched = h.watch(bench.host);
        const r = await runHook(
          { hook: call.hook, argv: call.argv, readStdin: async () => call.stdin, configPath: file, loadOperations: () => import('../../src/hooks/operations.js') },
          { sysfs: watched.sysfs, ip: watched.ip, hostdevNetworks: () => new Set(['sriov']), definedDomains: () => [] },
        ).catch((e: Error) => {
          throw new Error(`runHook threw: ${e.stack}`);
        });
        const problem = h.contractProblem(call.hook, call.argv[1], r);
        if (problem) throw new Error(`${call.hook} ${call.argv[1]} with ${c.how} config ${c.text.slice(0, 200)}: ${problem}`);
        if (watched.problems.length) throw new Error(`${call.hook} ${call.argv[1]}: ${watched.problems.join('; ')}`);
        if (!config && r.exitCode === 0 && call.argv[1] !== 'release' && call.hook !== 'daemon') throw new Error(`${call.hook} ${call.argv[1]} went on with a refused config`);
        if (!config && h.fingerprint(bench) !== base.fingerprint) throw new Error(`${call.hook} ${call.argv[1]} changed the host with a refused config`);
      }
      const last = logged.at(-1);
      // a config that can't be used logs to the default log, never to a path it names
      if (!config && last && last.path !== '/var/log/libvirt/virt-sriov.log') throw new Error(`logged to ${last.path}`);
      logged.length = 0;
      if (h.fingerprint(bench) !== base.fingerprint) h.restore(bench, base);
    }), h.fcParams(seed));
    h.recordFigure('bad-input-config', {
      threat: 'malformed, hostile or group/world-writable config file',
      cases: details.numRuns, failures: details.failed ? 1 : 0, seed, seconds: h.since(started),
    });
    console.log(`config: ${details.numRuns} cases (seed ${seed}) in ${h.since(started)} s; ${accepted} accepted, ${unsafe} refused for their mode`);
    h.throwIfFailed(details);
  }, 300_000);

  test('a config writable by group or others is refused with a message that says so and how to fix it; 0644 and 0600 are fine', () => {
    writeFileSync(file, '{}');
    for (const [mode, by] of [[0o664, 'its group'], [0o646, 'others'], [0o666, 'its group and others']] as const) {
      chmodSync(file, mode);
      expect(() => loadConfig(file)).toThrow(`config ${file} is writable by ${by} (mode 0${mode.toString(8)}): refused, as whoever can write it could run commands as root`);
      try {
        loadConfig(file);
      } catch (e) {
        expect((e as InstanceType<typeof VirtSriovError>).fix).toBe(`chmod go-w ${file}`);
      }
    }
    for (const mode of [0o644, 0o600, 0o640, 0o400]) {
      chmodSync(file, mode);
      expect(loadConfig(file).path).toBe(file);
    }
  });

  test('the hooks refuse it too: prepare fails and says why; release exits 0 and logs why', async () => {
    writeFileSync(file, '{}');
    chmodSync(file, 0o666);
    const run = (argv: string[]) => runHook({ hook: 'qemu', argv, readStdin: async () => CALLS[1].stdin, configPath: file, loadOperations: () => import('../../src/hooks/operations.js') },
      { sysfs: bench.host.sysfs, ip: bench.host.ip });
    const p = await run(['l2-hostdev', 'prepare', 'begin', '-']);
    expect(p.exitCode).toBe(1);
    expect(p.stderr).toMatch(/^virt-sriov: config .* is writable by its group and others \(mode 0666\)/);
    logged.length = 0;
    const r = await run(['l2-hostdev', 'release', 'end', '-']);
    expect(r.exitCode).toBe(0);
    expect(logged[0]?.entry).toMatchObject({ op: 'release', result: 'failed', error: expect.stringContaining('is writable by its group and others') });
    chmodSync(file, 0o644);
  });
});
