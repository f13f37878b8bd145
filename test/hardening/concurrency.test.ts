/**
 * Many hooks at once, as libvirt runs them when guests start together (autostart, a host
 * evacuation): 32 hook processes for 32 guests on the 32 VFs of one PF, guests racing for one VF,
 * and `virt-sriov attach` picking VFs from a PF while guests start on the same pool.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { openLibvirt, type LibvirtConnection } from '../../src/libvirt/index.js';
import { FakeHost } from '../support/fake-host.js';
import { fastTmp, hookProcesses, recordFigure, since } from '../support/hardening.js';
import { guestXml, uuidOf, type Guest } from '../support/hardening-scenarios.js';
import { DIST, bakeHook, readHookLog, stateStore, writeSuiteConfig, type SuiteConfig } from '../integration/hooks/hook-suite.js';

const processes = hookProcesses();
const work = mkdtempSync(join(fastTmp(), 'virt-sriov-hardening-concurrency-'));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Setup {
  readonly host: FakeHost;
  readonly config: SuiteConfig;
  readonly qemu: string;
  readonly network: string;
}

function setup(name: string, totalVfs: number, extra: Record<string, unknown> = {}): Setup {
  const dir = join(work, name);
  const host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', totalVfs, numVfs: totalVfs }], join(dir, 'host'));
  const config = writeSuiteConfig(dir, host, processes.bundles, { pfs: { eth0: { numVfs: totalVfs } }, ...extra });
  return { host, config, qemu: bakeHook(DIST.qemu, config.path, join(dir, 'qemu')), network: bakeHook(DIST.network, config.path, join(dir, 'network')) };
}

async function hook(file: string, argv: string[], input: string) {
  const r = await execa(file, argv, { input, reject: false, timeout: 120_000, env: { LC_ALL: 'C' }, extendEnv: false });
  return { argv: argv.join(' '), exitCode: r.exitCode, stderr: String(r.stderr) };
}

const call = (s: Setup, g: Guest, op: string) => hook(s.qemu, [g.name, op, op === 'stopped' || op === 'release' ? 'end' : 'begin', '-'], guestXml(g));

/** prepare, the VF to vfio-pci, start: libvirt's order for one guest. */
async function startGuest(s: Setup, g: Guest) {
  const p = await call(s, g, 'prepare');
  if (p.exitCode !== 0) return [p];
  s.host.bindVf('eth0', g.vf, 'vfio-pci');
  return [p, await call(s, g, 'start')];
}

async function stopGuest(s: Setup, g: Guest) {
  const stopped = await call(s, g, 'stopped');
  s.host.bindVf('eth0', g.vf, 'igbvf');
  return [stopped, await call(s, g, 'release')];
}

const guest = (s: Setup, i: number, extra: Partial<Guest> = {}): Guest => ({
  name: `guest${i}`, uuid: uuidOf(i + 1), pf: 'eth0', vf: i, pci: s.host.vfAddress('eth0', i), style: 'hostdev',
  vlan: 100 + i, mac: `52:54:00:32:00:${i.toString(16).padStart(2, '0')}`, trust: i % 2 === 1, ...extra,
});

describe('32 guests on the 32 VFs of one PF', () => {
  let s: Setup;
  let guests: Guest[];

  beforeAll(() => {
    s = setup('32', 32);
    guests = Array.from({ length: 32 }, (_, i) => guest(s, i));
  });

  test('start at once (64 hook processes, 32 at a time): every state update kept, every VF with its own guest\'s VLAN, MAC and trust', async () => {
    const started = Date.now();
    const results = (await Promise.all(guests.map((g) => startGuest(s, g)))).flat();
    expect(results.filter((r) => r.exitCode !== 0)).toEqual([]);
    expect(results).toHaveLength(64);
    const records = stateStore(s.config.stateDir).all().sort((a, b) => a.index - b.index);
    expect(records.map((r) => [r.pci, r.owner.name, r.owner.uuid, r.phase])).toEqual(guests.map((g) => [g.pci, g.name, g.uuid, 'running']));
    for (const g of guests) expect(s.host.vf('eth0', g.vf)).toMatchObject({ vlan: g.vlan, mac: g.mac, trust: g.trust, spoofchk: true });
    const log = readHookLog(s.config.logFile);
    expect(log.map((e) => `${e.op} ${e.result}`).sort()).toEqual([...Array(32).fill('prepare ok'), ...Array(32).fill('start ok')]);
    recordFigure('concurrency-32-start', {
      threat: '32 guests starting at once on one PF', races: 64, failures: 0, seconds: since(started),
    });
  }, 180_000);

  test('and stop at once: every VF put back clean, no record left', async () => {
    const started = Date.now();
    const results = (await Promise.all(guests.map((g) => stopGuest(s, g)))).flat();
    expect(results.filter((r) => r.exitCode !== 0)).toEqual([]);
    expect(readHookLog(s.config.logFile).slice(64).filter((e) => e.result !== 'ok')).toEqual([]);
    expect(stateStore(s.config.stateDir).all()).toEqual([]);
    for (const g of guests) expect(s.host.vf('eth0', g.vf)).toMatchObject({ vlan: 0, mac: '00:00:00:00:00:00', trust: false });
    recordFigure('concurrency-32-stop', {
      threat: '32 guests stopping at once on one PF', races: 64, failures: 0, seconds: since(started),
    });
  }, 180_000);

  test('16 VFs raced for by 2 guests each, all 32 at once: one winner per VF, the loser told who holds it, and the loser\'s stop leaves the winner\'s VF alone', async () => {
    const started = Date.now();
    const pairs = Array.from({ length: 16 }, (_, i) => [
      guest(s, i, { name: `red${i}`, uuid: uuidOf(0x100 + i), vlan: 1000 + i }),
      guest(s, i, { name: `blue${i}`, uuid: uuidOf(0x200 + i), vlan: 2000 + i }),
    ] as const);
    const outcomes = await Promise.all(pairs.flat().map(async (g) => ({ g, calls: await startGuest(s, g) })));
    for (const [red, blue] of pairs) {
      const mine = outcomes.filter((o) => o.g === red || o.g === blue);
      const winners = mine.filter((o) => o.calls.every((c) => c.exitCode === 0));
      expect({ vf: red.vf, winners: winners.length }).toEqual({ vf: red.vf, winners: 1 });
      const winner = winners[0]!.g;
      const loser = winner === red ? blue : red;
      const lost = mine.find((o) => o.g === loser)!;
      expect(lost.calls[0]!.exitCode).toBe(1);
      expect(lost.calls[0]!.stderr).toContain(`virt-sriov: domain ${loser.name}: VF ${red.pci} (eth0 vf ${red.vf}) is held by guest ${winner.name}`);
      expect(s.host.vf('eth0', red.vf).vlan).toBe(winner.vlan);
    }
    // every loser's stopped/release at once (libvirt runs them after a failed start): winners untouched
    const losers = pairs.map(([red, blue]) => (stateStore(s.config.stateDir).get(red.pci)!.owner.name === red.name ? blue : red));
    await Promise.all(losers.map((g) => Promise.all([call(s, g, 'stopped'), call(s, g, 'release')])));
    const records = stateStore(s.config.stateDir).all();
    expect(records).toHaveLength(16);
    for (const [red, blue] of pairs) {
      const holder = records.find((r) => r.pci === red.pci)!;
      expect([red.name, blue.name]).toContain(holder.owner.name);
      expect(s.host.vf('eth0', red.vf).vlan).toBe(holder.owner.name === red.name ? red.vlan : blue.vlan);
    }
    await Promise.all(pairs.map(([red, blue]) => stopGuest(s, records.find((r) => r.pci === red.pci)!.owner.name === red.name ? red : blue)));
    expect(stateStore(s.config.stateDir).all()).toEqual([]);
    recordFigure('concurrency-races', {
      threat: 'two guests racing for one VF (16 VFs, 32 guests at once)', races: 16, failures: 0, seconds: since(started),
    });
  }, 180_000);
});

describe('`virt-sriov attach` and guests starting on the same pool at once', () => {
  const URI = 'test:///default';
  let conn: LibvirtConnection;
  let s: Setup;

  beforeAll(() => {
    conn = openLibvirt({ uri: URI });
    s = setup('attach', 12, { networks: { pool: { trust: false } } });
  });
  afterAll(() => conn?.close());

  test('8 attaches in process and 4 network-style guests (port-created) and 2 pinned guests in hook processes: no VF given to two domains or two running guests', async () => {
    const started = Date.now();
    const domains = Array.from({ length: 8 }, (_, i) => `att${i}`);
    for (const d of domains) {
      if (conn.domains.lookup(d)) conn.domains.undefine(d);
      conn.domains.define(`<domain type='test'><name>${d}</name><memory unit='KiB'>65536</memory><os><type arch='x86_64'>hvm</type></os><devices/></domain>`);
    }
    const out: string[] = [];
    const attach = (d: string) => runCli(['attach', d, '--pf', 'eth0', '--to', 'hostdev', '--vlan', '42', '-c', URI, '--config-file', s.config.path], {
      readStdin: async () => '', stdout: (t) => void out.push(t), stderr: (t) => void out.push(t),
    });
    // libvirt picks VFs 0-3 of the pool for the network-style guests (the first without a connection)
    const portOf = (i: number) => `<hookData><network><name>pool</name><forward mode='hostdev' managed='yes'><pf dev='eth0'/></forward></network>`
      + `<networkport><owner><name>net${i}</name><uuid>${uuidOf(0x300 + i)}</uuid></owner><mac address='52:54:00:ee:00:0${i}'/>`
      + `<plug type='hostdev-pci' managed='yes'><address domain='0x0000' bus='0x01' slot='0x${(0x10 + (i >> 2)).toString(16)}' function='0x${((i % 4) * 2).toString(16)}'/></plug></networkport></hookData>`;
    const pinned = [guest(s, 10, { name: 'pin10', uuid: uuidOf(0x410) }), guest(s, 11, { name: 'pin11', uuid: uuidOf(0x411) })];
    const [attached, ports, pins] = await Promise.all([
      Promise.all(domains.map(attach)),
      Promise.all([0, 1, 2, 3].map((i) => hook(s.network, ['pool', 'port-created', 'begin', '-'], portOf(i)))),
      Promise.all(pinned.map((g) => startGuest(s, g))),
    ]);
    expect(ports.map((p) => p.exitCode)).toEqual([0, 0, 0, 0]);
    expect(pins.flat().map((p) => p.exitCode)).toEqual([0, 0, 0, 0]);
    expect(attached.filter((c) => c !== 0)).toEqual([]);
    // each attached domain names one VF, and no two the same (the pool lock)
    const vfOf = (d: string) => /<address domain='0x0000' bus='0x01' slot='(0x[0-9a-f]+)' function='(0x[0-9a-f])'/.exec(conn.domains.xml(d, { inactive: true }));
    const picked = domains.map((d) => {
      const m = vfOf(d)!;
      return `0000:01:${m[1]!.slice(2)}.${m[2]!.slice(2)}`;
    });
    expect(new Set(picked).size).toBe(8);
    // now start every attached domain: a VF a network guest or a pinned guest took meanwhile is refused, naming who holds it
    const startedAttached = await Promise.all(domains.map(async (d, i) => {
      const xml = conn.domains.xml(d, { inactive: true });
      const vf = s.host.load().pfs.eth0!.vfs.findIndex((_, j) => s.host.vfAddress('eth0', j) === picked[i]);
      const p = await hook(s.qemu, [d, 'prepare', 'begin', '-'], xml);
      if (p.exitCode !== 0) return { d, ok: false, stderr: p.stderr };
      s.host.bindVf('eth0', vf, 'vfio-pci');
      const st = await hook(s.qemu, [d, 'start', 'begin', '-'], xml);
      return { d, ok: st.exitCode === 0, stderr: st.stderr };
    }));
    for (const r of startedAttached.filter((x) => !x.ok)) expect(r.stderr).toMatch(/is held by guest (net\d|pin1\d)/);
    // the invariant: every VF has one holder at most, and each holder's VF carries its own settings
    const records = stateStore(s.config.stateDir).all();
    expect(new Set(records.map((r) => r.pci)).size).toBe(records.length);
    const holders = new Map(records.map((r) => [r.pci, r.owner.name]));
    for (const [i, d] of domains.entries()) {
      const ok = startedAttached[i]!.ok;
      expect({ d, holder: holders.get(picked[i]!) === d }).toEqual({ d, holder: ok });
      if (ok) expect(s.host.load().pfs.eth0!.vfs.find((_, j) => s.host.vfAddress('eth0', j) === picked[i])!.vlan).toBe(42);
    }
    for (const i of [0, 1, 2, 3]) expect(holders.get(s.host.vfAddress('eth0', i))).toBe(`net${i}`);
    for (const g of pinned) expect(holders.get(g.pci)).toBe(g.name);
    recordFigure('concurrency-attach-start', {
      threat: 'attach and guest starts at once on one pool', races: 8 + 4 + 2, failures: 0, seconds: since(started),
    });
    console.log(`attach vs start: attached ${picked.join(', ')}; ${startedAttached.filter((x) => x.ok).length} of 8 then started, the rest refused (their VF taken meanwhile)`);
  }, 180_000);
});
