/** The planner's answer is typed operations for the VF port: which VF, which setting, what value. */
import { describe, expect, test } from '@jest/globals';
import { CLEAN_VF, planChanges, writeAll, type VfRef, type VfSnapshot } from '../../../src/plan/vf-snapshot.js';

const VF: VfRef = { pf: 'eth0', index: 1, pci: '0000:01:10.2' };
const FRESH: VfSnapshot = {
  mac: '00:00:00:00:00:00', vlan: null, spoofchk: true, trust: false, linkState: 'auto', minTxRate: 0, maxTxRate: 0, queryRss: false,
};

describe('planChanges: one typed operation per setting that differs', () => {
  test('every setting a guest can ask for, in the port\'s order, each with what it was and becomes', () => {
    const ops = planChanges(VF, FRESH, {
      mac: 'de:ad:fe:ed:ff:01', vlan: { id: 403, qos: 3 }, spoofchk: false, trust: true, linkState: 'enable', minTxRate: 10, maxTxRate: 100, queryRss: true,
    });
    expect(ops).toEqual([
      { vf: VF, key: 'mac', value: 'de:ad:fe:ed:ff:01', keys: ['mac'], from: '00:00:00:00:00:00', to: 'de:ad:fe:ed:ff:01' },
      { vf: VF, key: 'vlan', value: { id: 403, qos: 3 }, keys: ['vlan'], from: 'none', to: '403:3' },
      { vf: VF, key: 'spoofchk', value: false, keys: ['spoofchk'], from: 'on', to: 'off' },
      { vf: VF, key: 'trust', value: true, keys: ['trust'], from: 'off', to: 'on' },
      { vf: VF, key: 'linkState', value: 'enable', keys: ['linkState'], from: 'auto', to: 'enable' },
      { vf: VF, key: 'txRate', value: { min: 10, max: 100 }, keys: ['minTxRate', 'maxTxRate'], from: '0/0', to: '10/100' },
      { vf: VF, key: 'queryRss', value: true, keys: ['queryRss'], from: 'off', to: 'on' },
    ]);
  });

  test('only what differs: a VF that already has it gets no operation', () => {
    expect(planChanges(VF, FRESH, { ...FRESH })).toEqual([]);
    expect(planChanges(VF, FRESH, { trust: false, vlan: null })).toEqual([]);
    expect(planChanges(VF, { ...FRESH, vlan: { id: 403 } }, { vlan: { id: 403 } })).toEqual([]);
  });

  test('untagging a tagged VF is a VLAN operation with no VLAN; a priority change is one too', () => {
    expect(planChanges(VF, { ...FRESH, vlan: { id: 50 } }, { vlan: null })).toEqual([
      { vf: VF, key: 'vlan', value: null, keys: ['vlan'], from: '50', to: 'none' },
    ]);
    expect(planChanges(VF, { ...FRESH, vlan: { id: 50 } }, { vlan: { id: 50, qos: 2 } })).toMatchObject([{ key: 'vlan', value: { id: 50, qos: 2 } }]);
  });

  test('one rate asked: the pair, the other rate as the VF has it (the kernel checks min <= max on the pair)', () => {
    expect(planChanges(VF, { ...FRESH, minTxRate: 5 }, { maxTxRate: 1000 })).toEqual([
      { vf: VF, key: 'txRate', value: { min: 5, max: 1000 }, keys: ['minTxRate', 'maxTxRate'], from: '5/0', to: '-/1000' },
    ]);
  });

  test('a field read as unknown (null) is written when asked', () => {
    expect(planChanges(VF, { ...FRESH, trust: null }, { trust: false })).toMatchObject([{ key: 'trust', value: false }]);
  });
});

describe('writeAll: every setting the target has, whatever the VF has now', () => {
  test('a clean VF, as the reset policy leaves it', () => {
    expect(writeAll(VF, CLEAN_VF).map(({ key, value }) => ({ key, value }))).toEqual([
      { key: 'mac', value: '00:00:00:00:00:00' },
      { key: 'vlan', value: null },
      { key: 'spoofchk', value: true },
      { key: 'trust', value: false },
      { key: 'linkState', value: 'auto' },
      { key: 'txRate', value: { min: 0, max: 0 } },
      { key: 'queryRss', value: false },
    ]);
  });

  test('only the keys given; a field the driver does not report (null) is left out, an untagged VLAN is not', () => {
    expect(writeAll(VF, { vlan: null, trust: null, mac: '02:11:22:33:44:55' }).map((c) => c.key)).toEqual(['mac', 'vlan']);
  });
});
