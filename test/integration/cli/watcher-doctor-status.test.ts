/**
 * `virt-sriov doctor` and `status` with the watcher running and not, against a real libvirtd
 * (9.0) private to this file, the built CLI run inside its namespace as an admin runs it
 * (`-c qemu:///system`), on a fake SR-IOV host in /tmp (igb-like eth0, 4 VFs).
 *
 * fw1 assigns eth0's VF 0 by address (<hostdev>, defined, not running); runner runs (TCG, no
 * VF: this kernel has no VFIO) and the state still gives it VF 1, whose settings a driver reset
 * wiped: a VF unplugged from it while no watcher ran. Without the watcher doctor warns, naming
 * fw1, and status shows VF 1 as runner's, DRIFT, with nothing to put it right. The watcher
 * started (`virt-sriov watch`, in the namespace) catches up at its start: VF 1 is put back and
 * freed; doctor says it runs, with its pid. Stopped (SIGTERM), doctor warns again.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHost, igbVfAddress } from '../../support/fake-host.js';
import { bundleFakeHostProcesses, type FakeHostBundles } from '../../support/fake-host-processes.js';
import { startPrivateLibvirtd, waitFor, type PrivateLibvirtd } from '../support/private-libvirtd.js';
import { DIST, defineFromFile, tearDownBed, domainXml, readHookLog, requireBuild, stateStore, writeSuiteConfig, type SuiteConfig } from '../hooks/hook-suite.js';

const URI = 'qemu:///system';
const ETH0 = '0000:01:00.0';
const vf = (i: number) => igbVfAddress(ETH0, i);

const work = mkdtempSync(join(tmpdir(), 'virt-sriov-watcher-doctor-it-'));
let bundles: FakeHostBundles;
let host: FakeHost;
let config: SuiteConfig;
let libvirt: PrivateLibvirtd | undefined;
let runnerUuid: string;
const watchOut = join(work, 'watch.out');

function daemon(): PrivateLibvirtd {
  if (!libvirt) throw new Error('private libvirtd did not start (see beforeAll)');
  return libvirt;
}

const cli = (args: string[]) => daemon().exec(process.execPath, [DIST.cli, ...args, '-c', URI, '--config-file', config.path], { timeoutMs: 60_000 });

interface CheckJson { id: string; status: string; summary: string; fix: string | null }
async function watcherCheck(): Promise<CheckJson> {
  const r = await cli(['doctor', '--json']);
  return (JSON.parse(r.stdout).checks as CheckJson[]).find((c) => c.id === 'watcher')!;
}

interface VfJson { pci: string; domain: { domain: string } | null; guestSettings: { matches: boolean } | null }
async function statusJson(): Promise<{ watcher: { running: boolean; pid: number | null }; vfs: VfJson[] }> {
  const r = await cli(['status', '--json', '--pf', 'eth0']);
  expect(r.stderr).toBe('');
  const json = JSON.parse(r.stdout);
  return { watcher: json.watcher, vfs: json.pfs[0].vfs };
}

const define = (name: string, xml: string) => defineFromFile(daemon(), work, name, xml);

beforeAll(async () => {
  requireBuild();
  bundles = await bundleFakeHostProcesses();
  host = FakeHost.create([{ name: 'eth0', pci: ETH0, numVfs: 4 }], join(work, 'fake-host'));
  config = writeSuiteConfig(work, host, bundles, { pfs: {} });
  libvirt = await startPrivateLibvirtd();
  await define('fw1', domainXml('fw1', { hostdev: vf(0) }));
  await define('runner', domainXml('runner'));
  await daemon().virshOk('start', 'runner');
  runnerUuid = (await daemon().virshOk('domuuid', 'runner')).trim();
  // what the hooks recorded for runner's VF 1 (VLAN 403, trust on), and what a driver reset left
  host.setVf('eth0', 1, { mac: '52:54:00:ee:00:01', vlan: 0, trust: false });
  stateStore(config.stateDir).put({
    pf: 'eth0', index: 1, pci: vf(1), owner: { name: 'runner', uuid: runnerUuid }, style: 'hostdev', network: null,
    original: { mac: '00:00:00:00:00:00', vlan: null, trust: false, spoofchk: true, linkState: 'auto', minTxRate: 0, maxTxRate: 0, queryRss: null },
    changed: ['mac', 'vlan', 'trust'],
    guest: { mac: '52:54:00:ee:00:01', vlan: { id: 403 }, trust: true }, phase: 'running', updated: new Date().toISOString(),
  });
}, 90_000);

afterAll(() => tearDownBed({ libvirt, bundles, host, work }), 30_000);

describe('doctor and status, the watcher not running, then running, then stopped', () => {
  test('no watcher: doctor warns, naming the guest that assigns a VF by address, with the fix for a host without systemd; status shows the drifted VF and that nothing puts it right', async () => {
    const check = await watcherCheck();
    expect(check).toMatchObject({ status: 'warn', fix: 'run `virt-sriov watch` (it stays in the foreground) under this host\'s service supervisor' });
    expect(check.summary).toBe('1 guest assigns VFs by address (fw1) and virt-sriov watch does not run: '
      + 'a VF plugged into them with plain virsh attach-device keeps the VLAN and trust it had, and one unplugged with detach-device stays claimed');

    const status = await statusJson();
    expect(status.watcher).toEqual({ running: false, pid: null });
    expect(status.vfs[1]).toMatchObject({ pci: vf(1), domain: { domain: 'runner' }, guestSettings: { matches: false } });
    const table = await cli(['status', '--pf', 'eth0']);
    expect(table.stdout).toContain(`  drift: VF 1 (runner): vlan none, not 403; trust off, not on; virt-sriov watch does not run, so nothing puts it right: `
      + `start it (\`systemctl enable --now virt-sriov-watch\`, or \`virt-sriov watch\` under a supervisor), or give the VF its settings: \`virt-sriov set runner --vf ${vf(1)} --live\` with them`);
  }, 60_000);

  test('the watcher started: at its start it catches up with what it missed (runner no longer has VF 1: put back and freed); doctor says it runs, with its pid; status agrees', async () => {
    const started = await daemon().exec('bash', ['-c', `nohup "$1" "$2" watch -c ${URI} --config-file "$3" > "$4" 2>&1 & echo $!`, 'watch',
      process.execPath, DIST.cli, config.path, watchOut]);
    const pid = Number(started.stdout.trim());
    expect(pid).toBeGreaterThan(1);
    await waitFor('the watcher\'s catch-up', () => readHookLog(config.logFile).some((e) => e.hook === 'watch' && e.op === 'connected'), 30_000);
    const line = readHookLog(config.logFile).find((e) => e.hook === 'watch')!;
    expect(line).toMatchObject({ op: 'connected', object: 'runner', result: 'ok', notes: [`eth0 vf 1 (${vf(1)}): unplugged from runner; restored and freed`] });
    expect(host.vf('eth0', 1)).toMatchObject({ mac: '00:00:00:00:00:00', vlan: 0, trust: false });
    expect(stateStore(config.stateDir).all()).toEqual([]);

    const check = await watcherCheck();
    expect(check).toMatchObject({ status: 'ok', fix: null });
    expect(check.summary).toBe(`virt-sriov watch runs (pid ${pid}): it holds ${join(config.stateDir, '.watch.lock')}`);
    const status = await statusJson();
    expect(status.watcher).toEqual({ running: true, pid });
    expect(status.vfs[1]).toMatchObject({ domain: null, guestSettings: null });

    // a second watcher refuses to start, naming the first
    const second = await cli(['watch']);
    expect(second.exitCode).not.toBe(0);
    expect(second.stderr).toContain(`another virt-sriov watch runs on this host (pid ${pid})`);

    expect((await daemon().exec('kill', ['-TERM', String(pid)])).exitCode).toBe(0);
    await waitFor('the watcher to stop', () => readFileSync(watchOut, 'utf8').includes('stopped watching'), 30_000);
    await waitFor('the watcher\'s pid file to go', () => !existsSync(join(config.stateDir, 'watch.pid')), 10_000);
    expect(await watcherCheck()).toMatchObject({ status: 'warn' });
    expect((await statusJson()).watcher).toEqual({ running: false, pid: null });
  }, 90_000);
});
