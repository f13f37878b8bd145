import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { formatPciAddress, parsePciAddress, vfAddressAt, vfIndexIn, type VfLayout } from '../../../src/model/pci-address.js';

// the lab's igb (82576): first VF offset 128, stride 2; an X710 (i40e) in slot 0 of bus 0x3b: offset 16, stride 1
const igb: VfLayout = { pf: parsePciAddress('0000:01:00.0'), offset: 128, stride: 2, totalVfs: 7 };
const i40e: VfLayout = { pf: parsePciAddress('0000:3b:00.1'), offset: 15, stride: 1, totalVfs: 64 };

describe('where a PF makes its VFs (sriov_offset, sriov_stride)', () => {
  test('igb: VF n at 01:10.0, 01:10.2, ... as the kernel lays them out', () => {
    expect([0, 1, 2, 3, 4, 6].map((n) => formatPciAddress(vfAddressAt(igb, n)))).toEqual([
      '0000:01:10.0', '0000:01:10.2', '0000:01:10.4', '0000:01:10.6', '0000:01:11.0', '0000:01:11.4',
    ]);
    expect(vfIndexIn(igb, parsePciAddress('0000:01:10.2'))).toBe(1);
  });

  test('a VF past the function bits carries into the slot, and into the next bus', () => {
    expect(formatPciAddress(vfAddressAt(i40e, 0))).toBe('0000:3b:02.0');
    expect(formatPciAddress(vfAddressAt(i40e, 63))).toBe('0000:3b:09.7');
    expect(vfIndexIn(i40e, parsePciAddress('0000:3b:09.7'))).toBe(63);
    const wide = { pf: parsePciAddress('0000:3b:00.0'), offset: 16, stride: 1, totalVfs: 256 };
    expect(formatPciAddress(vfAddressAt(wide, 250))).toBe('0000:3c:01.2');
    expect(vfIndexIn(wide, parsePciAddress('0000:3c:01.2'))).toBe(250);
  });

  test('addresses the PF does not make: between VFs, past the last, before the first, another PCI domain', () => {
    for (const a of ['0000:01:10.1', '0000:01:11.6', '0000:01:00.0', '0001:01:10.2']) expect(vfIndexIn(igb, parsePciAddress(a))).toBeNull();
  });

  test('a PF with a single VF may report stride 0', () => {
    const one = { ...igb, stride: 0, totalVfs: 1 };
    expect(vfIndexIn(one, parsePciAddress('0000:01:10.0'))).toBe(0);
    expect(vfIndexIn(one, parsePciAddress('0000:01:10.2'))).toBeNull();
  });

  test('the index of VF n\'s address is n, for any layout', () => {
    fc.assert(fc.property(
      fc.record({ bus: fc.integer({ min: 0, max: 0x80 }), devfn: fc.integer({ min: 0, max: 0xff }), offset: fc.integer({ min: 1, max: 512 }), stride: fc.integer({ min: 1, max: 8 }), totalVfs: fc.integer({ min: 1, max: 64 }) }),
      fc.nat(),
      ({ bus, devfn, offset, stride, totalVfs }, k) => {
        const layout = { pf: { domain: 0, bus, slot: devfn >> 3, function: devfn & 7 }, offset, stride, totalVfs };
        const n = k % totalVfs;
        const a = vfAddressAt(layout, n);
        if (a.bus > 0xff) return; // past the last bus: no such VF
        expect(vfIndexIn(layout, a)).toBe(n);
      },
    ));
  });
});
