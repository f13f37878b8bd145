/** The one rule for "is this held VF as its guest asked?": the watcher repairs by it, status shows it. */
import { describe, expect, test } from '@jest/globals';
import { DRIVER_PROFILES, profileOf } from '../../../src/drivers/driver-profiles.js';
import type { VfSnapshot } from '../../../src/plan/vf-snapshot.js';
import type { VfRecord } from '../../../src/state/vf-record.js';
import { describeDrift, driftOf } from '../../../src/watch/drift.js';

const live: VfSnapshot = {
  mac: '52:54:00:aa:00:01', vlan: { id: 403 }, spoofchk: false, trust: true, linkState: 'auto', minTxRate: 0, maxTxRate: 1000, queryRss: null,
};
const record = (patch: Partial<VfRecord> = {}): VfRecord => ({
  pf: 'eth0', index: 2, pci: '0000:01:10.4', owner: { name: 'fw1', uuid: null }, style: 'hostdev', network: null, original: null,
  guest: { mac: '52:54:00:aa:00:01', vlan: { id: 403 }, spoofchk: false, trust: true, maxTxRate: 1000 }, phase: 'running', updated: '2026-12-06T00:00:00Z',
  ...patch,
});

describe('driftOf', () => {
  test('as asked: no drift; what the guest did not ask for is not judged', () => {
    expect(driftOf(record(), { ...live, minTxRate: 50, linkState: 'enable' }, profileOf('igb'))).toEqual([]);
  });

  test('each setting that differs, as asked and as it is, in the words of the log', () => {
    const drift = driftOf(record(), { ...live, vlan: null, trust: false }, profileOf('i40e'))!;
    expect(drift).toEqual([{ setting: 'vlan', asked: '403', live: 'none' }, { setting: 'trust', asked: 'on', live: 'off' }]);
    expect(describeDrift(drift)).toBe('vlan none, not 403; trust off, not on');
  });

  test('a guest that asked for no VLAN: a VLAN on its VF is drift', () => {
    expect(driftOf(record({ guest: { vlan: null } }), live, null)).toEqual([{ setting: 'vlan', asked: 'none', live: '403' }]);
  });

  test('a setting the driver does not report (null), or reports as a fixed value, is not judged', () => {
    expect(driftOf(record({ guest: { queryRss: true } }), live, null)).toEqual([]);
    // a driver that reports spoof checking and the max rate as fixed values, whatever is set
    const fixed = DRIVER_PROFILES.find((p) => p.fixedReports.includes('spoofchk'))!;
    expect(driftOf(record({ guest: { spoofchk: true } }), live, fixed)).toEqual([]);
    expect(driftOf(record({ guest: { spoofchk: true } }), live, null)).toEqual([{ setting: 'spoofchk', asked: 'on', live: 'off' }]);
  });

  test("only a running guest's VF is judged: claimed (being set up) and stopped (free) are not", () => {
    expect(driftOf(record({ phase: 'claimed' }), { ...live, vlan: null }, null)).toBeNull();
    expect(driftOf(record({ phase: 'stopped' }), { ...live, vlan: null }, null)).toBeNull();
  });
});
