import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { byTraffic, guestRates, vfRates, type VfReading } from '../../../src/traffic/rates.js';
import { renderTopLines, renderTopScreen, type TopFrame } from '../../../src/traffic/top-view.js';
import type { VfCounters } from '../../../src/traffic/vf-counters.js';

const counters = (c: Partial<VfCounters>): VfCounters => ({
  source: 'pf', rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0, broadcast: 0, multicast: 0, rxDropped: 0, txDropped: 0, ...c,
});
const vf = (i: number, domain: string | null, c: Partial<VfCounters> | null): VfReading => ({
  pf: 'ens1f0', vf: i, pci: `0000:3b:10.${i}`, domain, nic: domain ? `ua-${i}` : null, counters: c && counters(c),
});

describe('rates between two readings', () => {
  test('bytes, packets and drops per second over the interval', () => {
    const [r] = vfRates([vf(0, 'fw1', { rxBytes: 1000, txBytes: 500, rxPackets: 10, rxDropped: 1 })], [vf(0, 'fw1', { rxBytes: 5000, txBytes: 2500, rxPackets: 30, rxDropped: 5, txDropped: 2 })], 2);
    expect(r!.rates).toEqual({ rxBytes: 2000, txBytes: 1000, rxPackets: 10, txPackets: 0, drops: 3 });
  });

  test('a counter that went down was reset (VFs re-created): its new value is what it counted, never a negative rate', () => {
    const [r] = vfRates([vf(0, 'fw1', { rxBytes: 9_000_000, txBytes: 100 })], [vf(0, 'fw1', { rxBytes: 4000, txBytes: 300 })], 2);
    expect(r!.rates).toMatchObject({ rxBytes: 2000, txBytes: 100 });
  });

  test('never negative, whatever two readings say', () => {
    const c = fc.record({ rxBytes: fc.nat(), txBytes: fc.nat(), rxPackets: fc.nat(), txPackets: fc.nat(), rxDropped: fc.option(fc.nat()), txDropped: fc.option(fc.nat()) });
    fc.assert(fc.property(c, c, fc.double({ min: 0.001, max: 100, noNaN: true }), (a, b, s) => {
      const r = vfRates([vf(0, null, a)], [vf(0, null, b)], s)[0]!.rates!;
      return [r.rxBytes, r.txBytes, r.rxPackets, r.txPackets, r.drops ?? 0].every((x) => x >= 0);
    }));
  });

  test('no rate without counters, without an earlier reading, or when the counters changed source', () => {
    const rates = vfRates([vf(0, null, {}), vf(2, null, { source: 'netdev' })], [vf(0, null, null), vf(1, null, {}), vf(2, null, { source: 'pf' })], 1);
    expect(rates.map((r) => r.rates)).toEqual([null, null, null]);
  });

  test('a guest adds up its VFs; the busiest comes first', () => {
    const before = [vf(0, 'fw1', {}), vf(1, 'fw1', {}), vf(2, 'web1', {}), vf(3, null, {})];
    const after = [vf(0, 'fw1', { rxBytes: 100 }), vf(1, 'fw1', { txBytes: 50, txDropped: 1 }), vf(2, 'web1', { rxBytes: 1000 }), vf(3, null, { rxBytes: 10 })];
    const guests = guestRates(vfRates(before, after, 1));
    expect(byTraffic(guests, (g) => g.domain)).toEqual([
      { domain: 'web1', vfs: 1, rates: { rxBytes: 1000, txBytes: 0, rxPackets: 0, txPackets: 0, drops: 0 } },
      { domain: 'fw1', vfs: 2, rates: { rxBytes: 100, txBytes: 50, rxPackets: 0, txPackets: 0, drops: 1 } },
    ]);
  });
});

describe('the top view', () => {
  const before = [vf(0, 'fw1', {}), vf(1, 'web1', {}), vf(2, null, null)];
  const after = [vf(0, 'fw1', { rxBytes: 125_000, rxPackets: 100, rxDropped: 3 }), vf(1, 'web1', { txBytes: 1_250_000_000 }), vf(2, null, null)];
  const vfs = vfRates(before, after, 1);
  const frame: TopFrame = { at: new Date('2026-12-05T12:00:00Z'), seconds: 1, vfs, guests: guestRates(vfs), notes: ['igb does not count traffic per VF'] };

  test('on a terminal: guests then VFs, busiest first, in bit/s, drops in red, the reason for a VF without rates', () => {
    const screen = renderTopScreen(frame, { rows: 40 });
    const lines = screen.split('\n');
    expect(lines[0]).toMatch(/^virt-sriov top {2}12:00:00 {2}rates over 1 s/);
    expect(lines[2]!.split(/\s+/)).toEqual(['GUEST', 'VFS', 'RX', 'TX', 'RX', 'PKT/S', 'TX', 'PKT/S', 'DROPS/S']);
    expect(lines[3]).toMatch(/^web1 +1 +0 bit\/s +10 Gbit\/s/);
    expect(lines[4]).toMatch(/^fw1 +1 +1 Mbit\/s +0 bit\/s +100 +0 +\x1b\[1;31m3\x1b\[0m$/);
    expect(screen).toMatch(/\nens1f0 +2 +0000:3b:10\.2 +- +- +- +- +- +- +-\n/);
    expect(screen).toContain('-: igb does not count traffic per VF');
  });

  test('a terminal too short for every VF shows the busiest and counts the rest', () => {
    const screen = renderTopScreen(frame, { rows: 10, color: false });
    expect(screen.split('\n').filter(Boolean).length + 2).toBeLessThanOrEqual(10); // two blank lines between the parts
    expect(screen).toMatch(/\.\.\. \d+ more VFs \(the quietest\)/);
    expect(screen).not.toContain('\x1b[');
  });

  test('plain lines: one per guest and per VF, in base units, no escape codes', () => {
    expect(renderTopLines(frame).split('\n').filter(Boolean)).toEqual([
      '2026-12-05T12:00:00Z guest=web1 vfs=1 rx_bytes_per_s=0 tx_bytes_per_s=1250000000 rx_packets_per_s=0 tx_packets_per_s=0 drops_per_s=0',
      '2026-12-05T12:00:00Z guest=fw1 vfs=1 rx_bytes_per_s=125000 tx_bytes_per_s=0 rx_packets_per_s=100 tx_packets_per_s=0 drops_per_s=3',
      '2026-12-05T12:00:00Z vf=ens1f0/1 pci=0000:3b:10.1 domain=web1 nic=ua-1 rx_bytes_per_s=0 tx_bytes_per_s=1250000000 rx_packets_per_s=0 tx_packets_per_s=0 drops_per_s=0',
      '2026-12-05T12:00:00Z vf=ens1f0/0 pci=0000:3b:10.0 domain=fw1 nic=ua-0 rx_bytes_per_s=125000 tx_bytes_per_s=0 rx_packets_per_s=100 tx_packets_per_s=0 drops_per_s=3',
      '2026-12-05T12:00:00Z vf=ens1f0/2 pci=0000:3b:10.2 domain=- nic=- rates=-',
    ]);
  });
});
