/**
 * The watcher's /metrics as an admin runs it: `virt-sriov watch --metrics-listen 127.0.0.1:0`
 * (the built CLI) on a fake host (mlx5 PF, the fake ip), against libvirt's test driver with a
 * running guest that holds a VF whose settings drifted. The watcher repairs the drift at its
 * start and logs it; a scrape then counts it, says what `virt-sriov metrics` says, passes
 * promtool; a scrape that fails is a 500 and the watcher goes on; SIGTERM ends it.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateStore } from '../../../src/state/state-store.js';
import { FakeHost } from '../../support/fake-host.js';
import { bundleFakeHostProcesses, watcherIp, type FakeHostBundles } from '../../support/fake-host-processes.js';
import { DIST, requireBuild } from '../hooks/hook-suite.js';

const UUID = '5d3e1a52-7a3c-4c0e-9a57-0f7c2f1d8b01';
let dir: string;
let host: FakeHost;
let bundles: FakeHostBundles;
let watcher: ChildProcess | undefined;
let config: string;
let uri: string;
let log: string;

beforeAll(async () => {
  requireBuild();
  bundles = await bundleFakeHostProcesses();
  dir = mkdtempSync(join(tmpdir(), 'virt-sriov-watch-metrics-'));
  host = FakeHost.create([{ name: 'ens1f0', pci: '0000:3b:00.0', driver: 'mlx5_core', numVfs: 2 }], join(dir, 'host'));
  const vf = host.vfAddress('ens1f0', 1);
  host.bindVf('ens1f0', 1, 'vfio-pci');
  host.countTraffic('ens1f0', 1, { rxBytes: 9000, rxPackets: 6, txBytes: 4500, txPackets: 3 });
  // what the guest asked for and the hooks set at its start...
  const stateDir = join(dir, 'state');
  stateStore(stateDir).put({
    pf: 'ens1f0', index: 1, pci: vf, owner: { name: 'fw1', uuid: UUID }, style: 'hostdev', network: null, original: null,
    guest: { mac: '52:54:00:fe:00:01', vlan: { id: 403 }, trust: true }, phase: 'running', updated: new Date().toISOString(),
  });
  // ...and what a driver reset left on the VF
  host.setVf('ens1f0', 1, { mac: '52:54:00:fe:00:01', vlan: 0, trust: false });
  const [bus, slot, fn] = [vf.slice(5, 7), vf.slice(8, 10), vf.slice(11)];
  const node = join(dir, 'node.xml');
  // the test driver runs every domain its host file defines
  writeFileSync(node, `<?xml version="1.0"?>
<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type='test'>
    <name>fw1</name>
    <uuid>${UUID}</uuid>
    <memory unit='MiB'>512</memory>
    <os><type arch='x86_64'>hvm</type></os>
    <metadata><sriov:vfs xmlns:sriov='http://virt-sriov.org/xmlns/domain/1.0'><sriov:vf pci='${vf}' mac='52:54:00:fe:00:01' vlan='403' trust='on'/></sriov:vfs></metadata>
    <devices>
      <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/></source></hostdev>
    </devices>
  </domain>
</node>
`);
  uri = `test://${node}`;
  log = join(dir, 'virt-sriov.log');
  config = join(dir, 'config.json');
  // an ip monitor that waits quietly: no look but the ones this test makes (which look repairs a drift is no race)
  writeFileSync(config, JSON.stringify({ sysfsRoot: host.sysRoot, stateDir, logFile: log, ipCommand: watcherIp(bundles, host, dir) }), { mode: 0o600 });
}, 60_000);

afterAll(() => {
  watcher?.kill('SIGKILL');
  bundles?.remove();
  host?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function get(port: number): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    }).on('error', reject).end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The watch line that says what it repaired, once the watcher has written it. */
async function repairLogged(): Promise<void> {
  for (;;) {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // not written yet
    }
    if (text.includes('"repaired"')) return;
    await sleep(100);
  }
}

test('serves what `virt-sriov metrics` prints, drift included; a failed scrape is a 500 and the watcher goes on', async () => {
  const w = spawn(process.execPath, [DIST.cli, 'watch', '-c', uri, '--config-file', config, '--metrics-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  watcher = w;
  let stderr = '';
  w.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => w.on('exit', r));
  let port: number | undefined;
  while (port === undefined) {
    const m = /serving metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr);
    if (m) port = Number(m[1]);
    else if (w.exitCode !== null) throw new Error(`the watcher ended: ${stderr}`);
    else await sleep(50);
  }
  await repairLogged();
  expect(host.vf('ens1f0', 1)).toMatchObject({ vlan: 403, trust: true });

  const served = await get(port);
  expect(served).toMatchObject({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8' });
  const check = spawnSync('promtool', ['check', 'metrics'], { input: served.body, encoding: 'utf8' });
  expect({ code: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({ code: 0, out: '' });
  const drift = served.body.split('\n').filter((l) => l.startsWith('virt_sriov_drift_repaired_total{'));
  expect(drift.filter((l) => !l.endsWith(' 0'))).toEqual([
    'virt_sriov_drift_repaired_total{domain="fw1",pf="ens1f0",vf="1",setting="trust"} 1',
    'virt_sriov_drift_repaired_total{domain="fw1",pf="ens1f0",vf="1",setting="vlan"} 1',
  ]);
  expect(drift).toHaveLength(8);
  expect(served.body).toContain('virt_sriov_vf_receive_bytes_total{pf="ens1f0",vf="1",pci="0000:3b:10.2",domain="fw1",mac="52:54:00:fe:00:01"} 9000\n');
  expect(served.body).toContain('virt_sriov_hook_calls_total{hook="watch",operation="connected",result="ok"} 1\n');
  // one home: the one-shot command says the same, from the same host and log
  const once = spawnSync(process.execPath, [DIST.cli, 'metrics', '-c', uri, '--config-file', config], { encoding: 'utf8' });
  expect({ code: once.status, stderr: once.stderr }).toEqual({ code: 0, stderr: '' });
  expect(once.stdout).toBe(served.body);
  // each scrape reads afresh
  host.countTraffic('ens1f0', 1, { rxBytes: 1000 });
  expect((await get(port)).body).toContain('domain="fw1",mac="52:54:00:fe:00:01"} 10000\n');

  // the log can't be read (a directory where it should be): a 500 that says why
  renameSync(log, `${log}.away`);
  mkdirSync(log);
  const failed = await get(port);
  expect(failed.status).toBe(500);
  expect(failed.body).toMatch(/^virt-sriov watch: cannot read the metrics: cannot read the hook log .*virt-sriov\.log: EISDIR/);
  expect(failed.body).toContain('\n  fix: run virt-sriov metrics (or watch) as root');
  expect(stderr).toContain('a /metrics scrape failed: cannot read the hook log');
  rmdirSync(log);
  renameSync(`${log}.away`, log);
  expect((await get(port)).status).toBe(200);
  expect(w.exitCode).toBeNull();

  // drifted again, then SIGHUP (systemctl reload): a look at every guest, logged as `sighup`,
  // one of the watcher's fixed operations
  host.setVf('ens1f0', 1, { trust: false });
  w.kill('SIGHUP');
  for (const t0 = Date.now(); !readFileSync(log, 'utf8').includes('"op":"sighup"');) {
    if (Date.now() - t0 > 20_000) throw new Error(`no sighup line in the log after 20 s: ${readFileSync(log, 'utf8')}`);
    await sleep(100);
  }
  expect(stderr).not.toContain('ip monitor link ended'); // no other look raced the SIGHUP's
  expect(host.vf('ens1f0', 1)).toMatchObject({ vlan: 403, trust: true });
  const ops = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { hook: string; op: string }).filter((e) => e.hook === 'watch').map((e) => e.op);
  expect(ops).toEqual(['connected', 'sighup']);
  expect((await get(port)).body).toContain('virt_sriov_hook_calls_total{hook="watch",operation="sighup",result="ok"} 1\n');

  w.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr).toContain('stopped watching');
}, 120_000);
