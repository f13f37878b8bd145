/**
 * The watcher (issue 16) where events go wrong: lost (the watcher was down while a VF was
 * hot-plugged and another unplugged), duplicated (the same event many times, a restart that looks
 * at everything again), and the watcher killed with SIGKILL between two `ip` writes of one VF.
 *
 * The built CLI's `virt-sriov watch` runs as a process against libvirt's test driver (a running
 * guest per domain of its host file, read afresh at each start: what changed while the watcher
 * was down is the file's change), on a fake igb host whose `ip` is a process too. The burst of
 * duplicated events is fed in process, through the watcher's own loop and its own logged look
 * (src/cli/commands/watch.ts), by a connection that delivers them.
 * Deterministic: no timing decides an outcome (the kill comes from `ip` itself, mid-batch).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandContext } from '../../src/cli/command-context.js';
import { reconcileFromXml } from '../../src/cli/commands/watch.js';
import type { HookLogEntry } from '../../src/log/hook-log.js';
import { stateStore } from '../../src/state/state-store.js';
import { Watcher, type WatchedConnection, type WatchEvent } from '../../src/watch/watcher.js';
import { FakeHost, FRESH_VF } from '../support/fake-host.js';
import { watcherIp } from '../support/fake-host-processes.js';
import { fastTmp, hookProcesses } from '../support/hardening.js';
import { DIST, readHookLog } from '../integration/hooks/hook-suite.js';

const processes = hookProcesses();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const FW1 = { name: 'fw1', uuid: '5d3e1a52-7a3c-4c0e-9a57-0f7c2f1d8b01' };
const OLD = { name: 'old', uuid: '5d3e1a52-7a3c-4c0e-9a57-0f7c2f1d8b02' };
const VF1 = '0000:01:10.2';
const VF2 = '0000:01:10.4';
const ENTRY = `<sriov:vf pci='${VF1}' mac='52:54:00:fe:00:01' vlan='403' trust='on' spoofchk='off' max-tx-rate='100'/>`;
const FW1_SETTINGS = { mac: '52:54:00:fe:00:01', vlan: 403, trust: true, spoofchk: false, max_tx: 100 };
/** What a previous guest left on VF 1. */
const LEFTOVER = { mac: '02:00:00:00:00:99', vlan: 7, trust: false, spoofchk: true, max_tx: 0 };

interface Bed {
  readonly dir: string;
  readonly host: FakeHost;
  readonly node: string;
  readonly config: string;
  readonly stateDir: string;
  readonly logFile: string;
}

function makeBed(name: string, ipCommand?: (host: FakeHost, dir: string) => string[]): Bed {
  const dir = mkdtempSync(join(fastTmp(), `virt-sriov-watch-${name}-`));
  dirs.push(dir);
  const host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 4, refuses: ['state', 'proto'] }], join(dir, 'host'));
  const bed = { dir, host, node: join(dir, 'node.xml'), config: join(dir, 'config.json'), stateDir: join(dir, 'state'), logFile: join(dir, 'virt-sriov.log') };
  writeConfig(bed, ipCommand ? ipCommand(host, dir) : watcherIp(processes.bundles, host, dir));
  return bed;
}

function writeConfig(bed: Bed, ipCommand: string[]): void {
  writeFileSync(bed.config, JSON.stringify({ sysfsRoot: bed.host.sysRoot, stateDir: bed.stateDir, logFile: bed.logFile, ipCommand }), { mode: 0o600 });
}

function hostdev(pci: string): string {
  const [bus, slot, fn] = [pci.slice(5, 7), pci.slice(8, 10), pci.slice(11)];
  return `<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/></source></hostdev>`;
}

/** A domain of the test driver's host file; it runs from the driver's start. */
function domain(owner: { name: string; uuid: string }, devices: string[], entries: string[] = []): string {
  const metadata = entries.length ? `<metadata><sriov:vfs xmlns:sriov='http://virt-sriov.org/xmlns/domain/1.0'>${entries.join('')}</sriov:vfs></metadata>` : '';
  return `<domain type='test'><name>${owner.name}</name><uuid>${owner.uuid}</uuid><memory unit='MiB'>512</memory>
    <os><type arch='x86_64'>hvm</type></os>${metadata}<devices>${devices.join('')}</devices></domain>`;
}

function writeNode(bed: Bed, domains: string[]): void {
  writeFileSync(bed.node, `<?xml version="1.0"?>
<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  ${domains.join('\n  ')}
</node>
`);
}

const watchLines = (bed: Bed): HookLogEntry[] => readHookLog(bed.logFile).filter((e) => e.hook === 'watch');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `virt-sriov watch` as a process until `done(stderr)` holds (then SIGTERM), or until it ends by
 * itself; resolves to how it ended and what it said.
 */
async function runWatch(bed: Bed, done: (stderr: string) => boolean): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const w = spawn(process.execPath, [DIST.cli, 'watch', '-c', `test://${bed.node}`, '--config-file', bed.config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  w.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => w.on('exit', (code, signal) => r({ code, signal })));
  let ended: { code: number | null; signal: string | null } | null = null;
  void exited.then((e) => (ended = e));
  const t0 = Date.now();
  while (!ended && !done(stderr)) {
    if (Date.now() - t0 > 30_000) {
      w.kill('SIGKILL');
      throw new Error(`the watcher did not get there in 30 s: ${stderr}`);
    }
    await sleep(50);
  }
  if (!ended) w.kill('SIGTERM');
  return { ...(await exited), stderr };
}

/** The watcher has logged `lines` lines of work. */
const lookedAtStart = (bed: Bed, lines: number) => () => watchLines(bed).length >= lines;
/** The watcher's look at start has read the PF (a VF held to check): SIGTERM then lets that look end. */
const readPf = (bed: Bed) => (stderr: string) => /watching test:/.test(stderr) && bed.host.calls().some((c) => c.argv.includes('show'));

describe('events lost: the watcher was down while a VF was hot-plugged and another unplugged', () => {
  test('at its next start it looks at every running guest: the hot-plugged VF gets its settings and is recorded, the unplugged one is put back and freed; a third start (every event again) changes nothing', async () => {
    const bed = makeBed('lost');
    // before: old holds VF 2 (hooks-recorded at its start), fw1 has no VF; the watcher runs and finds all in line
    bed.host.setVf('eth0', 2, { mac: '52:54:00:fe:00:02', vlan: 55, trust: true });
    stateStore(bed.stateDir).put({
      pf: 'eth0', index: 2, pci: VF2, owner: OLD, style: 'hostdev', network: null, changed: ['mac', 'vlan', 'trust'],
      original: { mac: FRESH_VF.mac, vlan: null, trust: false, spoofchk: true, linkState: 'auto', minTxRate: 0, maxTxRate: 0, queryRss: null },
      guest: { mac: '52:54:00:fe:00:02', vlan: { id: 55 }, trust: true }, phase: 'running', updated: new Date().toISOString(),
    });
    writeNode(bed, [domain(FW1, []), domain(OLD, [hostdev(VF2)], [`<sriov:vf pci='${VF2}' mac='52:54:00:fe:00:02' vlan='55' trust='on'/>`])]);
    bed.host.clearCalls();
    const first = await runWatch(bed, readPf(bed));
    expect(first.code).toBe(0);
    // its look at start (which SIGTERM lets end) found old's VF as recorded: a look with nothing to do leaves no line
    expect(watchLines(bed)).toEqual([]);
    expect(bed.host.calls().filter((c) => c.batch)).toEqual([]);

    // while it is down: VF 1 (with a previous guest's VLAN) plugged into fw1 with plain virsh, VF 2 unplugged from old
    bed.host.setVf('eth0', 1, LEFTOVER);
    writeNode(bed, [domain(FW1, [hostdev(VF1)], [ENTRY]), domain(OLD, [])]);
    const second = await runWatch(bed, lookedAtStart(bed, 2));
    expect(second.code).toBe(0);
    const lines = watchLines(bed);
    expect(lines.map((e) => `${e.op} ${e.object} ${e.result}`).sort()).toEqual(['connected fw1 ok', 'connected old ok']);
    expect(lines.find((e) => e.object === 'fw1')!.notes).toEqual([`hostdev ${VF1}: hot-plugged into fw1 without virt-sriov; its settings put on`]);
    expect(lines.find((e) => e.object === 'old')!.notes).toEqual([`eth0 vf 2 (${VF2}): unplugged from old; restored and freed`]);
    expect(bed.host.vf('eth0', 1)).toMatchObject(FW1_SETTINGS);
    expect(bed.host.vf('eth0', 2)).toEqual(FRESH_VF);
    expect(stateStore(bed.stateDir).all()).toMatchObject([{ pci: VF1, owner: FW1, phase: 'running', original: { mac: LEFTOVER.mac, vlan: { id: 7 } } }]);

    // every event again (a restart looks at everything): nothing to do, no line, nothing changed
    const vfs = bed.host.load().pfs.eth0!.vfs;
    const records = stateStore(bed.stateDir).all();
    bed.host.clearCalls();
    const third = await runWatch(bed, readPf(bed));
    expect(third.code).toBe(0);
    expect(watchLines(bed)).toHaveLength(2);
    expect(bed.host.calls().filter((c) => c.batch)).toEqual([]);
    expect(bed.host.load().pfs.eth0!.vfs).toEqual(vfs);
    expect(stateStore(bed.stateDir).all()).toEqual(records);
  }, 120_000);
});

describe('events duplicated: the same device-added many times, before and after the look', () => {
  test('one look does the work and leaves one line; the others find the VF in line and leave none', async () => {
    const bed = makeBed('dup');
    bed.host.setVf('eth0', 1, LEFTOVER);
    const liveXml = domain(FW1, [hostdev(VF1)], [ENTRY]);
    const handlers: ((domain: string, event: WatchEvent) => void)[] = [];
    let turns = 0;
    const conn: WatchedConnection = {
      running: () => ['fw1'],
      liveXml: () => liveXml,
      onEvent: (h) => {
        handlers.push(h);
        return () => handlers.splice(handlers.indexOf(h), 1);
      },
      // each turn of libvirt's loop delivers the event three times over (a burst), for five turns
      run: async () => {
        turns++;
        for (const h of [...handlers]) for (let i = 0; i < 3; i++) h('fw1', 'device-added');
        await new Promise((r) => setImmediate(r));
      },
      alive: () => true,
      close: () => undefined,
    };
    const ctx = new CommandContext({ readStdin: async () => '', stdinIsTerminal: () => false, stdoutTerminalRows: () => null, stdout: () => undefined, stderr: () => undefined }, { configFile: bed.config });
    let looks = 0;
    const watcher: Watcher = new Watcher({
      connect: () => conn,
      reconcile: async (d, xml, why) => {
        looks++;
        await reconcileFromXml(ctx, d, xml, why);
        if (turns >= 5) watcher.stop();
      },
      say: () => undefined,
      sleep: async () => undefined,
    }, { retryMs: 1, pollMs: 1 });
    await watcher.run();
    expect(looks).toBeGreaterThanOrEqual(5);
    expect(bed.host.vf('eth0', 1)).toMatchObject(FW1_SETTINGS);
    // the look at connect did the work: one line; each burst after it coalesced into one idle look
    expect(watchLines(bed).map((e) => `${e.op} ${e.result} ${e.changes.length > 0}`)).toEqual(['connected ok true']);
    expect(bed.host.calls().filter((c) => c.batch)).toHaveLength(1);
    expect(stateStore(bed.stateDir).all()).toHaveLength(1);
  }, 60_000);
});

describe('the watcher killed with SIGKILL between two ip writes of one VF', () => {
  test('the VF is recorded before its settings go on; the next start finds it half set and finishes it: every setting on, one record, the lock free', async () => {
    // an `ip` that, given a batch, applies its first line and kills the watcher that ran it
    const killerIp = (host: FakeHost, dir: string) => watcherIp(processes.bundles, host, dir, `if [ "$1" = -batch ]; then
  IFS= read -r first
  printf '%s\\n' "$first" | "\${real[@]}" -batch -
  kill -KILL $PPID
  exit 1
fi`);
    const bed = makeBed('kill', killerIp);
    bed.host.setVf('eth0', 1, LEFTOVER);
    writeNode(bed, [domain(FW1, [hostdev(VF1)], [ENTRY])]);

    const killed = await runWatch(bed, () => false);
    expect(killed.signal).toBe('SIGKILL');
    // recorded first, then killed half way: one setting on, the rest not
    expect(stateStore(bed.stateDir).all()).toMatchObject([{ pci: VF1, owner: FW1, phase: 'running', original: { mac: LEFTOVER.mac } }]);
    const half = bed.host.vf('eth0', 1);
    const on = Object.entries(FW1_SETTINGS).filter(([k, v]) => half[k as keyof typeof half] === v).map(([k]) => k);
    expect(on.length).toBeGreaterThan(0);
    expect(on.length).toBeLessThan(Object.keys(FW1_SETTINGS).length);
    expect(watchLines(bed)).toEqual([]); // killed before it could log

    // started again with a plain ip: the VF it holds has drifted from what the record says; put right
    writeConfig(bed, watcherIp(processes.bundles, bed.host, bed.dir));
    const again = await runWatch(bed, lookedAtStart(bed, 1));
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('another virt-sriov watch runs');
    expect(bed.host.vf('eth0', 1)).toMatchObject(FW1_SETTINGS);
    const records = stateStore(bed.stateDir).all();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ pci: VF1, owner: FW1, phase: 'running', original: { mac: LEFTOVER.mac, vlan: { id: 7 } } });
    const line = watchLines(bed)[0]!;
    expect(line).toMatchObject({ op: 'connected', object: 'fw1', result: 'ok' });
    expect(line.notes.join()).toMatch(/eth0 vf 1 \(0000:01:10\.2\) of fw1 had drifted \(.*\): repaired/);

    // and when fw1 lets it go, it goes back to what it had before fw1, not to the half-set state
    writeNode(bed, [domain(FW1, [])]);
    await runWatch(bed, lookedAtStart(bed, 2));
    expect(bed.host.vf('eth0', 1)).toMatchObject(LEFTOVER);
    expect(stateStore(bed.stateDir).all()).toEqual([]);
  }, 120_000);
});
