/**
 * `virt-sriov` command lines, 10,000 cases a run: every command with options and values drawn
 * from good, hostile and random words, run in process against libvirt's test driver
 * (test:///default) and a fake host. The connection and the config are fixed by the test: no
 * case can reach this machine's libvirt or sysfs.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { openLibvirt, type LibvirtConnection } from '../../src/libvirt/index.js';
import type { HookBench } from '../support/hook-bench.js';
import { cliArgv } from '../support/hardening-inputs.js';
import { RUNS, fastBench, fcParams, fingerprint, recordFigure, seedFor, since, throwIfFailed } from '../support/hardening.js';

const URI = 'test:///default';
let bench: HookBench;
let conn: LibvirtConnection;
let config: string;
const previousUri = process.env.LIBVIRT_DEFAULT_URI;

const domainXml = (name: string) => `<domain type='test'>\n  <name>${name}</name>\n  <memory unit='KiB'>65536</memory>\n  <os><type arch='x86_64'>hvm</type></os>\n  <devices>\n  </devices>\n</domain>\n`;

interface World {
  readonly domains: Map<string, string>;
  readonly networks: Map<string, string>;
  readonly host: string;
}

function world(): World {
  return {
    domains: new Map(conn.domains.list('all').map((d) => [d.name, conn.domains.xml(d.name, { inactive: true })])),
    networks: new Map(conn.networks.list('all').map((n) => [n.name, conn.networks.xml(n.name)])),
    host: fingerprint(bench),
  };
}

const same = (a: World, b: World) => a.host === b.host && JSON.stringify([...a.domains]) === JSON.stringify([...b.domains]) && JSON.stringify([...a.networks]) === JSON.stringify([...b.networks]);

/** Put the test driver back as `w` had it (a case that succeeded may have defined or changed something). */
function putBack(w: World): void {
  for (const d of conn.domains.list('all')) {
    if (!w.domains.has(d.name)) conn.domains.undefine(d.name);
    else if (conn.domains.xml(d.name, { inactive: true }) !== w.domains.get(d.name)) conn.domains.define(w.domains.get(d.name)!);
  }
  for (const n of conn.networks.list('all')) {
    if (!w.networks.has(n.name)) {
      if (n.active) conn.networks.destroy(n.name);
      conn.networks.undefine(n.name);
    }
  }
}

beforeAll(() => {
  process.env.LIBVIRT_DEFAULT_URI = URI; // a backstop: the argv names the test driver too
  bench = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 4 }, { name: 'eth1', pci: '0000:02:00.0', numVfs: 0 }]);
  // a fast `ip`: one shell process that prints what a real igb PF prints (no node start-up per case)
  const ip = join(bench.dir, 'ip.sh');
  writeFileSync(ip, `#!/bin/sh\nprintf '%s' '${bench.host.runIp(['-j', 'link', 'show', 'dev', 'eth0']).stdout}'\n`);
  chmodSync(ip, 0o755);
  config = join(bench.dir, 'cli-config.json');
  writeFileSync(config, JSON.stringify({ sysfsRoot: bench.host.sysRoot, stateDir: join(bench.dir, 'state'), logFile: join(bench.dir, 'virt-sriov.log'), ipCommand: [ip], pfs: { eth0: { numVfs: 4 } } }));
  conn = openLibvirt({ uri: URI });
  for (const name of ['vm1', 'fw1']) if (!conn.domains.lookup(name)) conn.domains.define(domainXml(name));
});

afterAll(() => {
  conn?.close();
  bench?.remove();
  if (previousUri === undefined) delete process.env.LIBVIRT_DEFAULT_URI;
  else process.env.LIBVIRT_DEFAULT_URI = previousUri;
});

async function cli(argv: readonly string[], stdin: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['-c', URI, '--config-file', config, ...argv], {
    readStdin: async () => stdin, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('CLI arguments', () => {
  test(`${RUNS} cases: runCli never throws; exit 0, 1 or 2; a failure says what failed; a failed command changes nothing`, async () => {
    const seed = seedFor();
    const started = Date.now();
    const codes = [0, 0, 0];
    const stdin = fc.constantFrom('', domainXml('from-stdin'), '<domain', '<!DOCTYPE domain [<!ENTITY a "b">]><domain/>');
    let before = world();
    const details = await fc.check(fc.asyncProperty(cliArgv, stdin, async (argv, input) => {
      const r = await cli(argv, input).catch((e: Error) => {
        throw new Error(`runCli threw for ${JSON.stringify(argv)}: ${e.stack}`);
      });
      if (![0, 1, 2].includes(r.code)) throw new Error(`${JSON.stringify(argv)}: exit ${r.code}`);
      codes[r.code]!++;
      if (r.code !== 0) {
        // ours say `virt-sriov: ...`; commander's usage errors say `error: ...` and point at --help, or print the usage
        if (!/^(virt-sriov: .|error: \S|Usage: virt-sriov)/m.test(r.stderr)) throw new Error(`${JSON.stringify(argv)}: exit ${r.code} with no clear message: ${JSON.stringify(r.stderr)}`);
      }
      if (/internal error|TypeError|ReferenceError|at .*\.ts:\d+/.test(r.stderr)) throw new Error(`${JSON.stringify(argv)}: ${r.stderr}`);
      const after = world();
      if (!same(before, after)) {
        if (r.code !== 0) throw new Error(`${JSON.stringify(argv)} failed (exit ${r.code}: ${r.stderr.trim()}) but changed something`);
        putBack(before);
        if (fingerprint(bench) !== before.host) throw new Error(`${JSON.stringify(argv)} changed the fake host: not put back`);
        before = world();
      }
    }), fcParams(seed));
    recordFigure('bad-input-cli', {
      threat: 'CLI arguments', cases: details.numRuns, failures: details.failed ? 1 : 0, seed, seconds: since(started),
    });
    console.log(`CLI: ${details.numRuns} cases (seed ${seed}) in ${since(started)} s; exit codes 0/1/2: ${codes.join('/')}`);
    throwIfFailed(details);
  }, 300_000);

  test('a hostile --pf never reaches sysfs or ip: attach and network refuse it naming it', async () => {
    for (const pf of ['eth0; reboot', '../../../../etc', '$(reboot)', 'eth0 up']) {
      const before = world();
      const attach = await cli(['attach', 'vm1', '--pf', pf], '');
      expect(attach.code).not.toBe(0);
      expect(attach.stderr).toMatch(/^virt-sriov: .*is not an SR-IOV PF on this host/);
      const network = await cli(['network', '--name', 'pool', '--pf', pf], '');
      expect(network.code).toBe(2);
      expect(network.stderr).toContain(`virt-sriov: PF '${pf}' is not an interface name`);
      expect(same(before, world())).toBe(true);
    }
  });
});
