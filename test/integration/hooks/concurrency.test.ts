/**
 * Hooks for different guests run at once (libvirt starts guests in parallel): the built qemu
 * hook, baked with a config as install.sh bakes it, run as N processes at the same time against
 * a fake host (one PF with 8 VFs). No libvirtd needed: the hooks get what libvirt would give them.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHost, igbVfAddress } from '../../support/fake-host.js';
import { bundleFakeHostProcesses, type FakeHostBundles } from '../../support/fake-host-processes.js';
import { DIST, bakeHook, domainXml, readHookLog, requireBuild, stateStore, writeSuiteConfig, type SuiteConfig } from './hook-suite.js';

const PF_PCI = '0000:01:00.0';
const work = mkdtempSync(join(tmpdir(), 'virt-sriov-concurrency-it-'));
let bundles: FakeHostBundles;
let host: FakeHost;
let config: SuiteConfig;
let hook: string;

interface Guest {
  name: string;
  uuid: string;
  vf: number;
  vlan?: number;
}

const uuidOf = (n: number) => `c0ffee00-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const xmlOf = (g: Guest) =>
  domainXml(g.name, { uuid: g.uuid, hostdev: igbVfAddress(PF_PCI, g.vf), vfs: g.vlan ? [{ pci: igbVfAddress(PF_PCI, g.vf), vlan: String(g.vlan) }] : [] });

/** One hook call as libvirt makes it: the installed file, libvirt's argv, the domain XML on stdin. */
async function call(g: Guest, op: string, subop = 'begin') {
  const r = await execa(hook, [g.name, op, subop, '-'], { input: xmlOf(g), reject: false, timeout: 30_000, env: { LC_ALL: 'C' }, extendEnv: false });
  return { guest: g.name, exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** prepare then (if it succeeded) start, as libvirt runs them for one guest. */
async function startGuest(g: Guest) {
  const p = await call(g, 'prepare');
  return p.exitCode === 0 ? [p, await call(g, 'start')] : [p];
}

async function stopGuest(g: Guest) {
  return [await call(g, 'stopped', 'end'), await call(g, 'release', 'end')];
}

const records = () => stateStore(config.stateDir).all();

beforeAll(async () => {
  requireBuild();
  bundles = await bundleFakeHostProcesses();
  // igb offers 7 VFs; this fake NIC offers 8, all created
  host = FakeHost.create([{ name: 'eth0', pci: PF_PCI, totalVfs: 8, numVfs: 8, refuses: ['state', 'proto'] }], join(work, 'fake-host'));
  config = writeSuiteConfig(work, host, bundles, { pfs: { eth0: { numVfs: 8 } } });
  hook = bakeHook(DIST.qemu, config.path, join(work, 'qemu'));
}, 30_000);

afterAll(() => {
  bundles?.remove();
  rmSync(work, { recursive: true, force: true });
});

describe('hooks for several guests at once', () => {
  const guests: Guest[] = Array.from({ length: 8 }, (_, i) => ({ name: `guest${i}`, uuid: uuidOf(i + 1), vf: i, vlan: 100 + i }));

  test('8 guests on 8 VFs of one PF start at once: every state record is kept with its owner, and each VF has its own guest\'s VLAN', async () => {
    const results = (await Promise.all(guests.map(startGuest))).flat();
    expect(results.filter((r) => r.exitCode !== 0)).toEqual([]);
    expect(results).toHaveLength(16);

    const held = records().sort((a, b) => a.index - b.index);
    expect(held.map((r) => [r.pci, r.owner.name, r.owner.uuid, r.phase])).toEqual(
      guests.map((g) => [igbVfAddress(PF_PCI, g.vf), g.name, g.uuid, 'running']));
    for (const g of guests) {
      expect(host.vf('eth0', g.vf)).toMatchObject({ vlan: g.vlan, trust: false, spoofchk: true });
    }
    const log = readHookLog(config.logFile);
    expect(log.map((e) => `${e.op} ${e.result}`).sort()).toEqual([...Array(8).fill('prepare ok'), ...Array(8).fill('start ok')]);
    for (const g of guests) {
      expect(log.find((e) => e.op === 'start' && e.object === g.name)?.changes).toEqual([
        { pf: 'eth0', vf: g.vf, pci: igbVfAddress(PF_PCI, g.vf), setting: 'vlan', from: 'none', to: String(g.vlan) },
      ]);
    }
  }, 60_000);

  test('the 8 guests stop at once: every VF is put back untagged and no record is left', async () => {
    const logged = readHookLog(config.logFile).length;
    const results = (await Promise.all(guests.map(stopGuest))).flat();
    expect(results.filter((r) => r.exitCode !== 0)).toEqual([]);
    // stopped and release exit 0 whatever happens: the log says whether they did their work
    expect(readHookLog(config.logFile).slice(logged).filter((e) => e.result !== 'ok')).toEqual([]);
    expect(records()).toEqual([]);
    for (const g of guests) expect(host.vf('eth0', g.vf)).toMatchObject({ vlan: 0, trust: false });
  }, 60_000);

  test('2 guests racing for one VF: exactly one wins, and the other\'s error names the winner', async () => {
    for (const vf of [0, 3, 7]) {
      const racers: Guest[] = [
        { name: `racer-a${vf}`, uuid: uuidOf(100 + vf), vf, vlan: 201 },
        { name: `racer-b${vf}`, uuid: uuidOf(200 + vf), vf, vlan: 202 },
      ];
      const results = await Promise.all(racers.map(startGuest));
      const winners = results.filter((r) => r.every((c) => c.exitCode === 0));
      const losers = results.filter((r) => r.some((c) => c.exitCode !== 0));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      const winner = racers.find((g) => g.name === winners[0]![0]!.guest)!;
      const loser = racers.find((g) => g !== winner)!;
      expect(losers[0]).toEqual([expect.objectContaining({ exitCode: 1, stdout: '' })]); // refused at prepare
      expect(losers[0]![0]!.stderr).toContain(
        `virt-sriov: domain ${loser.name}: VF ${igbVfAddress(PF_PCI, vf)} (eth0 vf ${vf}) is held by guest ${winner.name}`);
      expect(records()).toMatchObject([{ pci: igbVfAddress(PF_PCI, vf), owner: { name: winner.name }, phase: 'running' }]);
      expect(host.vf('eth0', vf).vlan).toBe(winner.vlan);

      // libvirt runs stopped and release for the loser too: they must leave the winner's VF alone
      expect((await stopGuest(loser)).map((r) => r.exitCode)).toEqual([0, 0]);
      expect(records()).toMatchObject([{ owner: { name: winner.name } }]);
      expect(host.vf('eth0', vf).vlan).toBe(winner.vlan);
      await stopGuest(winner);
      expect(records()).toEqual([]);
    }
  }, 60_000);
});

describe('a hook process reads all of its stdin, however libvirt writes it', () => {
  const g: Guest = { name: 'slow-writer', uuid: uuidOf(900), vf: 5, vlan: 305 };

  /** The hook with its stdin written `delayMs` after it started, as a busy libvirtd may. */
  function callWithLateStdin(op: string, subop: string, input: string, delayMs: number) {
    return new Promise<{ exitCode: number | null; stderr: string }>((resolve) => {
      const child = spawn(hook, [g.name, op, subop, '-'], { stdio: ['pipe', 'ignore', 'pipe'], env: { LC_ALL: 'C' } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.stdin.end(input), delayMs);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve({ exitCode, stderr });
      });
    });
  }

  test('XML that arrives late, or is larger than a pipe holds (64 KiB), is read whole', async () => {
    // a long <description> makes the XML 200 KiB: libvirt writes it while the hook reads
    const big = xmlOf(g).replace('<memory ', `<description>${'x'.repeat(200 * 1024)}</description>\n  <memory `);
    const logged = readHookLog(config.logFile).length;
    expect(await callWithLateStdin('prepare', 'begin', big, 0)).toEqual({ exitCode: 0, stderr: '' });
    expect(await callWithLateStdin('start', 'begin', xmlOf(g), 500)).toEqual({ exitCode: 0, stderr: '' });
    expect(host.vf('eth0', g.vf).vlan).toBe(g.vlan);
    expect(await callWithLateStdin('stopped', 'end', xmlOf(g), 500)).toEqual({ exitCode: 0, stderr: '' });
    expect(await callWithLateStdin('release', 'end', xmlOf(g), 500)).toEqual({ exitCode: 0, stderr: '' });
    expect(readHookLog(config.logFile).slice(logged).map((e) => `${e.op} ${e.result}`)).toEqual(['prepare ok', 'start ok', 'stopped ok', 'release ok']);
    expect(host.vf('eth0', g.vf).vlan).toBe(0);
    expect(records()).toEqual([]);
  }, 30_000);
});
