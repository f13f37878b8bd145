import { describe, expect, test } from '@jest/globals';
import { formatListenAddress, isLoopback, listenAddressProblem, parseListenAddress } from '../../../src/config/listen-address.js';

describe("the watcher's metrics address", () => {
  test.each([
    ['127.0.0.1:9479', { host: '127.0.0.1', port: 9479 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9479', { host: '::1', port: 9479 }],
    ['[0:0:0:0:0:0:0:1]:80', { host: '0:0:0:0:0:0:0:1', port: 80 }],
    ['192.0.2.7:65535', { host: '192.0.2.7', port: 65535 }],
  ])('%s is an address', (text, address) => {
    expect(parseListenAddress(text)).toEqual(address);
  });

  test.each([
    'localhost:9479', // a name: which address it gives is not ours to guess
    '127.0.0.1', ':9479', '127.0.0.1:', '127.0.0.1:65536', '127.0.0.1:-1', '256.0.0.1:9479', '127.1:9479', '01.2.3.4:9479',
    '::1:9479', '[::1]', '[fe80::1%eth0]:9479', '[127.0.0.1]:9479', '[::g]:9479', ' 127.0.0.1:9479', 'http://127.0.0.1:9479',
  ])('%j is not', (text) => {
    expect(parseListenAddress(text)).toBeNull();
    expect(listenAddressProblem(text, true)).toBe(`${text} is not ADDRESS:PORT with an IP address (127.0.0.1:9479, [::1]:9479)`);
  });

  test('loopback: 127.0.0.0/8 and ::1 however written; nothing else, not even ::ffff:127.0.0.1 or the unspecified address', () => {
    const loop = (t: string) => isLoopback(parseListenAddress(t)!);
    expect(['127.0.0.1:1', '127.255.0.9:1', '[::1]:1', '[0:0::1]:1'].map(loop)).toEqual([true, true, true, true]);
    expect(['0.0.0.0:1', '10.0.0.1:1', '128.0.0.1:1', '[::]:1', '[::ffff:127.0.0.1]:1', '[fe80::1]:1'].map(loop)).toEqual([false, false, false, false, false, false]);
  });

  test('another address is refused unless allowed, and says why', () => {
    expect(listenAddressProblem('0.0.0.0:9479', false)).toMatch(/^0\.0\.0\.0:9479 is not a loopback address, and \/metrics names guests/);
    expect(listenAddressProblem('0.0.0.0:9479', true)).toBeNull();
    expect(listenAddressProblem('[::1]:9479', false)).toBeNull();
  });

  test('written back as given: IPv6 in brackets', () => {
    expect(['127.0.0.1:9479', '[::1]:9479'].map((t) => formatListenAddress(parseListenAddress(t)!))).toEqual(['127.0.0.1:9479', '[::1]:9479']);
  });
});
