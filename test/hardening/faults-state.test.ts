/**
 * A state file half-written or corrupt (a disk error, a hand edit, a crash of something other
 * than virt-sriov's own atomic write): the next release or reconnect repairs or refuses safely,
 * no other guest's record is lost, and no VF keeps a guest's VLAN, MAC or trust.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookBench } from '../support/hook-bench.js';
import { fastBench, recordFigure, since, stateDirOf } from '../support/hardening.js';
import { FakeLibvirt, uuidOf, type Guest } from '../support/hardening-scenarios.js';

let bench: HookBench | undefined;
afterEach(() => {
  bench?.remove();
  bench = undefined;
});

const VICTIM: Guest = { name: 'victim', uuid: uuidOf(0x1), pf: 'eth0', vf: 0, pci: '0000:01:10.0', style: 'hostdev', vlan: 101, mac: '52:54:00:00:01:01', trust: true };
const OTHER: Guest = { name: 'other', uuid: uuidOf(0x2), pf: 'eth0', vf: 1, pci: '0000:01:10.2', style: 'hostdev', vlan: 202, mac: '52:54:00:00:02:02', trust: true };
const CLEAN = { mac: '00:00:00:00:00:00', vlan: 0, qos: 0, trust: false, spoofchk: true };

const vfFile = (b: HookBench, pci: string) => join(stateDirOf(b), 'vfs', `${pci}.json`);

/** Ways a state file can be damaged: cut anywhere, emptied, zeroed, valid JSON of the wrong shape. */
function damages(text: string): [string, string][] {
  return [
    ['cut in half', text.slice(0, text.length >> 1)],
    ['cut after one byte', text.slice(0, 1)],
    ['empty', ''],
    ['zeroed', '\0'.repeat(text.length)],
    ['not a record: {}', '{}'],
    ['not a record: null', 'null'],
    ['not a record: []', '[]'],
    ['owner missing', JSON.stringify({ ...JSON.parse(text), owner: undefined })],
    ['phase missing', JSON.stringify({ ...JSON.parse(text), phase: undefined })],
  ];
}

async function twoGuests(): Promise<{ bench: HookBench; lv: FakeLibvirt; text: string }> {
  const b = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 3 }]);
  const lv = new FakeLibvirt(b);
  expect(await lv.start(VICTIM)).toBe(true);
  expect(await lv.start(OTHER)).toBe(true);
  return { bench: b, lv, text: readFileSync(vfFile(b, VICTIM.pci), 'utf8') };
}

/** Two guests running, the victim's state file damaged in each way in turn, then `act`; how many damages were tried. */
async function eachDamage(act: (how: string, b: HookBench, lv: FakeLibvirt) => Promise<void>): Promise<number> {
  const { bench: b0, text } = await twoGuests();
  b0.remove();
  let cases = 0;
  for (const [how, damaged] of damages(text)) {
    const { bench: b, lv } = await twoGuests();
    bench = b;
    writeFileSync(vfFile(b, VICTIM.pci), damaged);
    await act(how, b, lv);
    cases++;
    b.remove();
    bench = undefined;
  }
  return cases;
}

describe('a corrupt state file', () => {
  test('the guest stops: release takes back its VLAN, MAC and trust; the file is kept aside; the other guest keeps its record and VF', async () => {
    const started = Date.now();
    const cases = await eachDamage(async (how, b, lv) => {
      const otherRecord = readFileSync(vfFile(b, OTHER.pci), 'utf8');
      await lv.stop(VICTIM);
      const calls = lv.calls.slice(-2);
      expect(calls.map((c) => [c.op, c.result.exitCode])).toEqual([['stopped', 0], ['release', 0]]);
      for (const c of calls) expect(c.result.stderr).not.toMatch(/internal error/);
      // no trace of the guest on its VF
      expect({ how, vf: b.host.vf('eth0', 0) }).toMatchObject({ how, vf: CLEAN });
      // the damaged file is not silently lost: kept beside, under a name the state ignores
      expect({ how, aside: readdirSync(join(stateDirOf(b), 'vfs')).filter((f) => f.startsWith(`${VICTIM.pci}.json.corrupt`)).length }).toEqual({ how, aside: 1 });
      expect(existsSync(vfFile(b, VICTIM.pci))).toBe(false);
      // the other guest is untouched, and stops as usual
      expect(readFileSync(vfFile(b, OTHER.pci), 'utf8')).toBe(otherRecord);
      expect(b.host.vf('eth0', 1)).toMatchObject({ vlan: 202, trust: true, mac: OTHER.mac });
      expect(b.lastLog().notes.join('\n')).toContain(VICTIM.pci);
      await lv.stop(OTHER);
      expect(b.host.vf('eth0', 1)).toMatchObject(CLEAN);
      expect(b.records()).toEqual([]);
    });
    recordFigure('faults-state-corrupt-release', {
      threat: 'a corrupt or half-written state file, then release', faults: cases, failures: 0, seconds: since(started),
    });
  });

  test('the daemon restarts while the guest runs: reconnect adopts its VF again, keeps the damaged file aside, and the later stop leaves a clean VF', async () => {
    const started = Date.now();
    const cases = await eachDamage(async (how, b, lv) => {
      const r = await lv.reconnect(VICTIM);
      expect({ how, r }).toEqual({ how, r: { exitCode: 0, stdout: '', stderr: '' } });
      expect(b.records().map((x) => [x.pci, x.owner.name, x.phase]).sort()).toEqual([[VICTIM.pci, 'victim', 'running'], [OTHER.pci, 'other', 'running']]);
      expect(readdirSync(join(stateDirOf(b), 'vfs')).filter((f) => f.startsWith(`${VICTIM.pci}.json.corrupt`))).toHaveLength(1);
      // the guest runs on with its VLAN: reconnect touches nothing
      expect(b.host.vf('eth0', 0)).toMatchObject({ vlan: 101, trust: true });
      await lv.stop(VICTIM);
      expect(b.host.vf('eth0', 0)).toMatchObject(CLEAN);
      expect(b.host.vf('eth0', 1)).toMatchObject({ vlan: 202, trust: true });
    });
    recordFigure('faults-state-corrupt-reconnect', {
      threat: 'a corrupt or half-written state file, then reconnect', faults: cases, failures: 0, seconds: since(started),
    });
  });

  test('a VF whose damaged record belongs to a running guest (still on vfio-pci) is left alone by another guest\'s release', async () => {
    const { bench: b, lv } = await twoGuests();
    bench = b;
    writeFileSync(vfFile(b, VICTIM.pci), '{"pf": "eth0", "ind');
    await lv.stop(OTHER); // another guest's release sweeps: the victim still runs, on vfio-pci
    expect(b.host.vf('eth0', 0)).toMatchObject({ vlan: 101, trust: true, mac: VICTIM.mac });
    expect(readFileSync(vfFile(b, VICTIM.pci), 'utf8')).toBe('{"pf": "eth0", "ind');
    expect(b.lastLog().notes.join('\n')).toMatch(/0000:01:10.0.*can't be read/);
  });

  test('a half-written temp file of a killed write is ignored by every operation and left for the next write', async () => {
    const { bench: b, lv } = await twoGuests();
    bench = b;
    const tmp = `${vfFile(b, VICTIM.pci)}.4242.tmp`;
    writeFileSync(tmp, '{"pf": "eth0", "index": 0, "pci": "0000:01:1');
    expect((await lv.reconnect(VICTIM)).exitCode).toBe(0);
    await lv.stop(VICTIM);
    await lv.stop(OTHER);
    expect(b.records()).toEqual([]);
    expect(b.host.vf('eth0', 0)).toMatchObject(CLEAN);
    expect(lv.calls.every((c) => c.result.exitCode === 0 && !/internal error/.test(c.result.stderr))).toBe(true);
  });
});
