import { describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateStore } from '../../../src/state/state-store.js';
import type { FakeHost } from '../../support/fake-host.js';
import { cli, useFakeIp } from './cli-helpers.js';

const fake = useFakeIp();
let host: FakeHost;

/** mlx5 (counts per VF) with a guest on VF 0, and igb (counts nothing per VF) with a guest on VF 0. */
function twoPfs(): string {
  host = fake.host([
    { name: 'ens1f0', pci: '0000:3b:00.0', driver: 'mlx5_core', numVfs: 2 },
    { name: 'eth0', pci: '0000:01:00.0', numVfs: 1 },
  ]);
  host.bindVf('ens1f0', 0, 'vfio-pci');
  host.bindVf('eth0', 0, 'vfio-pci');
  const store = stateStore(join(host.root, 'state'));
  for (const [pf, name] of [['ens1f0', 'fw1'], ['eth0', 'web1']] as const) {
    store.put({
      pf, index: 0, pci: host.vfAddress(pf, 0), owner: { name, uuid: null }, style: 'hostdev', network: null,
      original: null, guest: { mac: `52:54:00:00:00:${name === 'fw1' ? '01' : '02'}` }, phase: 'running', updated: new Date().toISOString(),
    });
  }
  return fake.config(host);
}

describe('virt-sriov top', () => {
  test('stdout not a terminal: plain lines, one per guest and per VF per refresh, no escape codes', async () => {
    const r = await cli(['top', '-c', 'test:///default', '-n', '2', '-d', '0.05', '--config-file', twoPfs()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2 * (2 + 3)); // 2 refreshes: 2 guests, 3 VFs
    expect(lines.filter((l) => / guest=fw1 vfs=1 rx_bytes_per_s=0 /.test(l))).toHaveLength(2);
    // igb's guest: nothing counts its VF, so no rates rather than zeros
    expect(lines.filter((l) => / guest=web1 vfs=1 rates=-$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => / vf=ens1f0\/0 pci=0000:3b:10\.0 domain=fw1 nic=52:54:00:00:00:01 rx_bytes_per_s=/.test(l))).toHaveLength(2);
  });

  test('stdout a terminal: the screen is drawn in place, with the reason igb shows no rates', async () => {
    const r = await cli(['top', '-c', 'test:///default', '-n', '1', '-d', '0.05', '--config-file', twoPfs()], '', { stdoutRows: 30 });
    expect(r.code).toBe(0);
    const frames = r.stdout.split('\x1b[H\x1b[J').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/^virt-sriov top: reading the counters twice, 0\.05 s apart/);
    expect(frames[1]).toMatch(/^virt-sriov top {2}\d\d:\d\d:\d\d {2}rates over/);
    expect(frames[1]).toMatch(/\nGUEST +VFS +RX +TX/);
    expect(frames[1]).toContain('-: igb does not count traffic per VF');
  });

  test('a PF that fails to read for a moment (its driver reloading) is said on stderr, and the view goes on', async () => {
    twoPfs();
    // ip that fails its second call, as while a PF's driver reloads
    const flaky = join(host.root, 'flaky-ip.mjs');
    writeFileSync(flaky, `import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
const [fakeIp, root, ...args] = process.argv.slice(2);
const counter = root + '/ip-calls';
let n = 0;
try { n = Number(readFileSync(counter, 'utf8')); } catch {}
writeFileSync(counter, String(n + 1));
if (n + 1 === 2) { process.stderr.write('Device "ens1f0" does not exist.\\n'); process.exit(1); }
const r = spawnSync(process.execPath, [fakeIp, root, ...args], { input: args.includes('-batch') ? readFileSync(0) : '' });
process.stdout.write(r.stdout); process.stderr.write(r.stderr); process.exitCode = r.status;
`);
    const config = fake.config(host, { ipCommand: [process.execPath, flaky, fake.ipFile(), host.root] });
    const r = await cli(['top', '-c', 'test:///default', '-n', '3', '-d', '0.05', '--config-file', config]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^virt-sriov: .*Device "ens1f0" does not exist.*; reading again in 0\.05 s\n$/);
    // the failed refresh counts as one; the two after it are shown (rates start again after the gap)
    expect(r.stdout.split('\n').filter((l) => / guest=fw1 /.test(l))).toHaveLength(2);
  }, 30_000); // six node processes per refresh (the flaky ip runs the fake ip): slow on a loaded machine

  test('a host that cannot be read at all fails at once (exit 1), with what ip said', async () => {
    twoPfs();
    const config = fake.config(host, { ipCommand: [process.execPath, '-e', 'process.stderr.write("RTNETLINK answers: Operation not permitted\\n"); process.exit(2)', '--'] });
    const r = await cli(['top', '-c', 'test:///default', '-d', '0.05', '--config-file', config]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/RTNETLINK answers: Operation not permitted/);
  });

  test('a delay or a count that is no positive number is bad usage (exit 2)', async () => {
    for (const argv of [['-d', '0'], ['-d', 'soon'], ['-n', '1.5'], ['-n', '-1']]) {
      const r = await cli(['top', '-c', 'test:///default', ...argv]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/must be a (whole number|number of seconds) above 0/);
    }
  });
});
