import { describe, expect, test } from '@jest/globals';
import { profileOf } from '../../../src/drivers/driver-profiles.js';
import { unsupportedSettings } from '../../../src/drivers/vf-support.js';
import { cleanVf, guestDesired, releaseDesired, releasePlan } from '../../../src/plan/guest-vf.js';
import type { VfSnapshot } from '../../../src/plan/vf-snapshot.js';

/** A VF as `ip -j link` shows it on a driver that fills no optional field. */
const BARE: VfSnapshot = { mac: '00:00:00:00:00:00', vlan: null, spoofchk: null, trust: null, linkState: 'auto', minTxRate: 0, maxTxRate: 0, queryRss: null };
const FULL: VfSnapshot = { ...BARE, spoofchk: true, trust: false, queryRss: false };

describe('what a driver can do, decided before any VF changes', () => {
  test('a driver virt-sriov does not know is judged by what it reports', () => {
    expect(unsupportedSettings({ trust: true, vlan: { id: 5 } }, BARE, null)).toEqual([
      { setting: 'trust on', why: "the driver doesn't report the VF's trust, so it can't set it" },
    ]);
    expect(unsupportedSettings({ trust: true }, FULL, null)).toEqual([]);
  });

  test('a known driver is judged by its profile: ixgbe ignores link state enable, bnxt_en has QoS, bnx2x has none', () => {
    expect(unsupportedSettings({ linkState: 'enable' }, FULL, profileOf('ixgbe'))).toEqual([{ setting: 'link state enable', why: 'ixgbe takes link state auto or disable only' }]);
    expect(unsupportedSettings({ linkState: 'disable' }, FULL, profileOf('ixgbe'))).toEqual([]);
    expect(unsupportedSettings({ vlan: { id: 5, qos: 3 } }, FULL, profileOf('bnxt_en'))).toEqual([]);
    expect(unsupportedSettings({ vlan: { id: 5, qos: 3 } }, FULL, profileOf('bnx2x'))).toEqual([{ setting: 'VLAN QoS 3', why: 'bnx2x sets a VF\'s VLAN without a priority' }]);
    expect(unsupportedSettings({ minTxRate: 10, maxTxRate: 100 }, FULL, profileOf('i40e')).map((u) => u.setting)).toEqual(['min tx rate 10']);
  });
});

describe('defaults and clean VFs only where the driver reports and sets the field', () => {
  test('trust off and spoofchk on are planned only where the VF reports them', () => {
    expect(guestDesired({}, FULL, profileOf('igb'))).toEqual({ vlan: null, trust: false, spoofchk: true });
    expect(guestDesired({}, BARE, null)).toEqual({ vlan: null });
    expect(guestDesired({}, { ...FULL, trust: null }, profileOf('bnx2x'))).toEqual({ vlan: null, spoofchk: true });
  });

  test('mlx5_core: no spoof checking turned on for a VF that gets no MAC (it would drop all the guest sends)', () => {
    expect(guestDesired({}, FULL, profileOf('mlx5_core'))).toEqual({ vlan: null, trust: false });
    expect(guestDesired({ mac: '52:54:00:00:00:01' }, FULL, profileOf('mlx5_core'))).toEqual({ vlan: null, trust: false, spoofchk: true, mac: '52:54:00:00:00:01' });
  });

  test('a clean VF on bnx2x: its stand-in for a zero MAC, no rate it reports as a constant', () => {
    expect(cleanVf({ ...FULL, mac: '52:54:00:00:00:01', trust: null, maxTxRate: 10000 }, profileOf('bnx2x'))).toEqual({ mac: '02:00:00:00:00:00', vlan: null, linkState: 'auto' });
    expect(cleanVf({ ...FULL, mac: '52:54:00:00:00:01' }, profileOf('igb'))).toEqual({ mac: '00:00:00:00:00:00', vlan: null, spoofchk: true, trust: false, maxTxRate: 0 });
  });

  test('restore writes back exactly the keys the guest changed, then scrubs its MAC, VLAN and trust', () => {
    const original: VfSnapshot = { ...FULL, mac: '52:54:00:00:00:09', vlan: { id: 7 }, maxTxRate: 300, linkState: 'disable' };
    const guest = { vlan: { id: 7 }, trust: true, mac: '52:54:00:00:00:09' };
    const now: VfSnapshot = { ...original, trust: true, linkState: 'enable' };
    // linkState drifted on its own: the guest never changed it, so restore leaves it alone
    expect(releaseDesired({ original, guest, changed: ['mac', 'vlan', 'trust'] }, 'restore', now, profileOf('i40e'))).toEqual({ mac: '00:00:00:00:00:00', vlan: null, trust: false });
  });

  test('the two steps: restore exactly the changed keys, then the isolation scrub over them', () => {
    const original: VfSnapshot = { ...FULL, mac: '52:54:00:00:00:09', vlan: { id: 7 }, trust: true, maxTxRate: 300 };
    const guest = { vlan: { id: 7 }, trust: true, mac: '52:54:00:00:00:01', maxTxRate: 100 };
    const now: VfSnapshot = { ...original, mac: guest.mac, maxTxRate: 100 };
    expect(releasePlan({ original, guest, changed: ['mac', 'vlan', 'maxTxRate'] }, 'restore', now, profileOf('ice'))).toEqual({
      restore: { mac: '52:54:00:00:00:09', vlan: { id: 7 }, maxTxRate: 300 },
      // the VF had the guest's VLAN and trust before the guest: neither stays for the next one
      scrub: { vlan: null, trust: false },
    });
  });

  test('a record from before the changed keys were kept: every saved key the driver can set is restored', () => {
    const original: VfSnapshot = { ...FULL, mac: '52:54:00:00:00:09', maxTxRate: 300, linkState: 'disable' };
    const guest = { vlan: { id: 7 }, trust: true, mac: '52:54:00:00:00:01' };
    const now: VfSnapshot = { ...original, mac: guest.mac, vlan: guest.vlan, trust: true, linkState: 'enable' };
    expect(releaseDesired({ original, guest }, 'restore', now, profileOf('i40e'))).toEqual({
      mac: '52:54:00:00:00:09', vlan: null, spoofchk: true, trust: false, linkState: 'disable', maxTxRate: 300,
    });
    // bnx2x reports spoofchk and the rate as constants and sets no rate: none of those written back
    expect(releaseDesired({ original, guest: {} }, 'restore', now, profileOf('bnx2x'))).toEqual({ mac: '52:54:00:00:00:09', vlan: null, linkState: 'disable' });
  });
});
