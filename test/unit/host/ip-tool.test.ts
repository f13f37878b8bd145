/**
 * ipTool against the host's real iproute2: the output shapes it parses are iproute2's own,
 * on the loopback device every network namespace has.
 */
import { describe, expect, test } from '@jest/globals';
import { ipFailure, ipTool } from '../../../src/host/ip.js';

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

describe('ipFailure: which command of a batch failed, and why', () => {
  test("the real ip's own words: the failing line of a batch, the kernel's reason", async () => {
    // lo has no VFs: the kernel refuses (not supported, or not permitted without CAP_NET_ADMIN)
    const e = await ipTool().batch([['link', 'show', 'dev', 'lo'], ['link', 'set', 'dev', 'lo', 'vf', '0', 'trust', 'on'], ['link', 'show', 'dev', 'lo']]).then(() => null, (x: Error) => x);
    expect(e).not.toBeNull();
    expect(ipFailure(e!.message)).toEqual({ command: 1, reason: expect.stringMatching(/^RTNETLINK answers: \S/) });
  });

  test('RTNETLINK answers, or else the first line; no command named when ip names none', () => {
    expect(ipFailure('ip -batch - failed: RTNETLINK answers: Operation not supported; Command failed -:3'))
      .toEqual({ command: 2, reason: 'RTNETLINK answers: Operation not supported' });
    expect(ipFailure('spawn ip ENOENT\nmore')).toEqual({ command: null, reason: 'spawn ip ENOENT' });
    // a malformed argument ends ip at once, naming no line
    expect(ipFailure('ip -batch - failed: Error: argument "abc" is wrong: Invalid "mtu" value')).toEqual({ command: null, reason: 'Error: argument "abc" is wrong: Invalid "mtu" value' });
  });
});
