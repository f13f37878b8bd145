import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../src/errors.js';
import { generateMac, macProblem, normalizeMac } from '../../../src/model/mac.js';
import {
  formatPciAddress, isPciName, parsePciAddress, pciAddressAttributes, pciAddressFromAttributes, samePciAddress,
} from '../../../src/model/pci-address.js';

describe('PCI addresses', () => {
  test('sysfs form, with or without the domain, any case', () => {
    expect(parsePciAddress('0000:01:10.2')).toEqual({ domain: 0, bus: 1, slot: 0x10, function: 2 });
    expect(parsePciAddress('01:10.2')).toEqual({ domain: 0, bus: 1, slot: 0x10, function: 2 });
    expect(parsePciAddress('000A:Ff:1F.7')).toEqual({ domain: 10, bus: 255, slot: 31, function: 7 });
  });

  test('printed in the canonical sysfs form', () => {
    expect(formatPciAddress(parsePciAddress('a:1:2.3'))).toBe('000a:01:02.3');
  });

  test.each(['0000:01:10', '0000:01:10.8', 'eth0', '', '0000:001:10.2'])('%j is not a PCI address', (text) => {
    expect(() => parsePciAddress(text)).toThrow(InputError);
    expect(() => parsePciAddress(text)).toThrow(/is not a PCI address/);
  });

  test('a slot above 0x1f is out of range', () => {
    expect(() => parsePciAddress('0000:01:20.0')).toThrow('0000:01:20.0: PCI slot 32 is out of range (0-0x1f)');
  });

  test("libvirt's <address> attributes: hex, decimal or octal as C reads them; the domain defaults to 0", () => {
    const attrs = (m: Record<string, string>) => (n: string) => m[n] ?? null;
    expect(pciAddressFromAttributes(attrs({ domain: '0x0000', bus: '0x01', slot: '0x10', function: '0x2' }), 'x')).toEqual(parsePciAddress('0000:01:10.2'));
    expect(pciAddressFromAttributes(attrs({ bus: '1', slot: '16', function: '2' }), 'x')).toEqual(parsePciAddress('0000:01:10.2'));
    expect(pciAddressFromAttributes(attrs({ bus: '01', slot: '020', function: '2' }), 'x')).toEqual(parsePciAddress('0000:01:10.2'));
  });

  test('a missing or bad part names the device', () => {
    const attrs = (m: Record<string, string>) => (n: string) => m[n] ?? null;
    expect(() => pciAddressFromAttributes(attrs({ domain: '0', slot: '0x10', function: '0x2' }), 'domain vm1')).toThrow('domain vm1: the PCI address has no bus');
    expect(() => pciAddressFromAttributes(attrs({ bus: 'one', slot: '0x10', function: '0x2' }), 'domain vm1')).toThrow("domain vm1: the PCI address has a bad bus 'one'");
    expect(() => pciAddressFromAttributes(attrs({ bus: '0x100', slot: '0x10', function: '0x2' }), 'domain vm1')).toThrow('domain vm1: PCI bus 256 is out of range (0-0xff)');
  });

  test('written back as libvirt writes it', () => {
    expect(pciAddressAttributes(parsePciAddress('0000:01:10.2'))).toEqual({ domain: '0x0000', bus: '0x01', slot: '0x10', function: '0x2' });
  });

  test('compared by value', () => {
    expect(samePciAddress(parsePciAddress('01:10.2'), parsePciAddress('0000:01:10.2'))).toBe(true);
    expect(samePciAddress(parsePciAddress('01:10.2'), parsePciAddress('0000:01:10.4'))).toBe(false);
  });

  test('a sysfs name is the canonical form and nothing else', () => {
    expect(isPciName('0000:01:10.2')).toBe(true);
    expect(isPciName(formatPciAddress(parsePciAddress('a:1:1f.7')))).toBe(true);
    for (const bad of ['01:10.2', '0000:01:10.8', '0000:1:10.2', '0000:01:10.2 ', 'ABCD:01:10.2', '../0000:01:10.2', '0000:01:10.2.json']) {
      expect(isPciName(bad)).toBe(false);
    }
  });
});

describe('MAC addresses', () => {
  test('problems of a VF MAC', () => {
    expect(macProblem('52:54:00:aa:bb:cc')).toBeNull();
    expect(macProblem('02:00:00:00:00:01')).toBeNull();
    expect(macProblem('01:80:c2:00:00:00')).toMatch(/multicast/);
    expect(macProblem('00:00:00:00:00:00')).toMatch(/all zeros/);
    expect(macProblem('52:54:00:AA:BB:CC')).toMatch(/not a MAC/); // expects lower case: callers normalize first
    expect(macProblem(normalizeMac(' 52:54:00:AA:BB:CC '))).toBeNull();
  });

  test('a generated MAC is unicast, locally administered, in the 52:54:00 range, and new', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const mac = generateMac(taken);
      expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
      expect(macProblem(mac)).toBeNull();
      const first = parseInt(mac.slice(0, 2), 16);
      expect(first & 0b10).toBe(0b10); // locally administered
      expect(first & 0b01).toBe(0); // unicast
      expect(taken.has(mac)).toBe(false);
      taken.add(mac);
    }
  });
});
