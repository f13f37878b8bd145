/**
 * ipTool against the host's real iproute2: the output shapes it parses are iproute2's own,
 * on the loopback device every network namespace has.
 */
import { describe, expect, test } from '@jest/globals';
import { ipTool } from '../../../src/host/ip.js';

describe('ipTool with the real ip', () => {
  const ip = ipTool();

  test('reads one link, and several in one process (-j -batch prints one JSON array per line)', async () => {
    expect(await ip.show('lo')).toMatchObject({ ifname: 'lo', up: true, vfs: [] });
    expect((await ip.showAll(['lo', 'lo'])).map((l) => l.ifname)).toEqual(['lo', 'lo']);
  });

  test('with statistics (-s before -j, one process for several PFs), the same links', async () => {
    expect(await ip.show('lo', { stats: true })).toMatchObject({ ifname: 'lo', up: true, vfs: [] });
    expect((await ip.showAll(['lo', 'lo'], { stats: true })).map((l) => l.ifname)).toEqual(['lo', 'lo']);
  });

  test('a device that does not exist: an error that names it', async () => {
    await expect(ip.showAll(['lo', 'nosuchdev0'])).rejects.toThrow(/nosuchdev0/);
    await expect(ip.show('nosuchdev0')).rejects.toThrow(/Device "nosuchdev0" does not exist/);
  });

  test('names that are not interface names never reach ip', async () => {
    await expect(ip.showAll(['lo', 'a b'])).rejects.toThrow('"a b" is not a network interface name');
    await expect(ip.batch([['link', 'set', 'dev', 'lo', 'alias', "x'y"]])).rejects.toThrow('unsafe ip argument');
  });
});
