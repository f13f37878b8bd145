/**
 * The watcher's decision (src/watch/reconcile.ts) over plain data: what a running guest's VFs
 * and the state records call for, whichever event (or none) led to the look.
 */
import { describe, expect, test } from '@jest/globals';
import type { VfRecord } from '../../../src/state/vf-record.js';
import { planGuest, type GuestVf, type RunningGuest } from '../../../src/watch/reconcile.js';

const FW = { name: 'fw1', uuid: '7c1b9a52-3c2e-4b8f-9d41-0a6f5e2b7c11' };
const OTHER = { name: 'db1', uuid: '0a0a0a0a-3c2e-4b8f-9d41-0a6f5e2b7c11' };
const vf = (i: number): GuestVf => ({
  vf: { pf: 'eth0', index: i, pci: `0000:01:10.${i * 2}` }, label: `hostdev 0000:01:10.${i * 2}`, style: 'hostdev', settings: { vlan: { id: 403 } },
});
const record = (i: number, patch: Partial<VfRecord> = {}): VfRecord => ({
  ...vf(i).vf, owner: FW, style: 'hostdev', network: null, original: null, guest: { vlan: { id: 403 } }, phase: 'running', updated: '2026-12-05T00:00:00.000Z', ...patch,
});
const guest = (...vfs: GuestVf[]): RunningGuest => ({ owner: FW, vfs });
const kinds = (g: RunningGuest, rs: VfRecord[]) => planGuest(g, rs).map((a) => `${a.kind} ${'device' in a ? a.device.vf.pci : a.record.pci}`);

describe('planGuest', () => {
  test('a VF the guest has and nobody claims was hot-plugged behind virt-sriov: its settings go on', () => {
    expect(kinds(guest(vf(0)), [])).toEqual(['plugged 0000:01:10.0']);
  });

  test('a VF freed by a stop (record kept until release) counts as unclaimed', () => {
    expect(kinds(guest(vf(0)), [record(0, { owner: OTHER, phase: 'stopped' })])).toEqual(['plugged 0000:01:10.0']);
  });

  test('a VF the guest holds is checked for drift; the same look twice (a duplicated event) plans the same check, nothing more', () => {
    const rs = [record(0)];
    expect(kinds(guest(vf(0)), rs)).toEqual(['check 0000:01:10.0']);
    expect(kinds(guest(vf(0)), rs)).toEqual(kinds(guest(vf(0)), rs));
  });

  test('a VF claimed but not yet running (a start, or attach --live, under way) is left to whoever claimed it', () => {
    expect(kinds(guest(vf(0)), [record(0, { phase: 'claimed' })])).toEqual([]);
    expect(kinds(guest(), [record(0, { phase: 'claimed' })])).toEqual([]);
  });

  test('a VF the state gives the guest but the guest no longer has was unplugged: restored and freed', () => {
    expect(kinds(guest(vf(1)), [record(0), record(1)])).toEqual(['check 0000:01:10.2', 'unplugged 0000:01:10.0']);
  });

  test('a network pool\'s VF the guest has that port-created only claimed (a plain virsh hot-plug; an attach --live that died) is settled here, unless an attach --live is settling it right now', () => {
    const claimed = record(0, { network: 'sriov', style: 'network', phase: 'claimed' });
    expect(kinds(guest(vf(0)), [claimed])).toEqual(['settle 0000:01:10.0']);
    expect(planGuest(guest(vf(0)), [claimed], new Set(['0000:01:10.0']))).toEqual([]);
  });

  test('a network pool\'s VF is released by the network hook (port-deleted runs on unplug too), not here', () => {
    expect(kinds(guest(), [record(0, { network: 'sriov', style: 'network' })])).toEqual([]);
  });

  test('another guest\'s records are not this guest\'s business; a VF both claim is a conflict, touched by no one', () => {
    expect(kinds(guest(), [record(0, { owner: OTHER })])).toEqual([]);
    expect(kinds(guest(vf(0)), [record(0, { owner: OTHER })])).toEqual(['conflict 0000:01:10.0']);
  });

  test('an owner is the same guest by UUID (a renamed guest keeps its VFs), by name when a UUID is missing', () => {
    const renamed: RunningGuest = { owner: { ...FW, name: 'fw1-new' }, vfs: [vf(0)] };
    expect(kinds(renamed, [record(0)])).toEqual(['check 0000:01:10.0']);
    expect(kinds(guest(vf(0)), [record(0, { owner: { name: 'fw1', uuid: null } })])).toEqual(['check 0000:01:10.0']);
  });
});
