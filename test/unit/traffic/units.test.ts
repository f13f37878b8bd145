import { describe, expect, test } from '@jest/globals';
import { formatBitRate, formatBytes, formatCountRate } from '../../../src/traffic/units.js';

describe('traffic in an admin\'s units', () => {
  test.each([[0, '0 B'], [512, '512 B'], [1536, '1.5 KiB'], [12.34 * 1024 ** 2, '12.3 MiB'], [123 * 1024 ** 3, '123 GiB'], [1024, '1 KiB']])('%d bytes: %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  test.each([[0, '0 bit/s'], [125, '1 kbit/s'], [1.25e9, '10 Gbit/s'], [3.1e6, '24.8 Mbit/s']])('%d bytes/s: %s', (n, text) => {
    expect(formatBitRate(n)).toBe(text);
  });

  test.each([[0, '0'], [0.5, '0.5'], [12, '12'], [1500, '1.5k'], [2.3e6, '2.3M']])('%d per second: %s', (n, text) => {
    expect(formatCountRate(n)).toBe(text);
  });
});
