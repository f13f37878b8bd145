/**
 * PF links as `ip -o monitor link` reports them (a capture from this kind of host, ifb0 set up
 * and down), and when a PF counts as back: the moment the watcher looks at every guest again.
 */
import { describe, expect, test } from '@jest/globals';
import { parseMonitorLine, PfLinkTracker, type LinkEvent } from '../../../src/watch/pf-links.js';
import { readFixture } from '../../support/fake-host.js';

const captured = readFixture('captures', 'host-ip-monitor', 'ifb0-up-down.txt').split('\n').filter(Boolean);
const ev = (patch: Partial<LinkEvent>): LinkEvent => ({ ifname: 'eth0', deleted: false, up: true, carrier: true, ...patch });

describe('parseMonitorLine', () => {
  test('the captured lines: name, UP, LOWER_UP', () => {
    expect(captured.map(parseMonitorLine)).toEqual([
      { ifname: 'ifb0', deleted: false, up: true, carrier: true },
      { ifname: 'ifb0', deleted: false, up: false, carrier: false },
    ]);
  });

  test('a deleted link, a link with a peer (@ifN), and lines that are not links', () => {
    expect(parseMonitorLine('Deleted 5: enp1s0f1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN')).toEqual({ ifname: 'enp1s0f1', deleted: true, up: false, carrier: false });
    expect(parseMonitorLine('7: vnet0@if2: <BROADCAST,MULTICAST,UP> mtu 1500')).toMatchObject({ ifname: 'vnet0', up: true, carrier: false });
    expect(parseMonitorLine('    link/ether 42:12:17:49:15:cd brd ff:ff:ff:ff:ff:ff')).toBeNull();
    expect(parseMonitorLine('')).toBeNull();
  });
});

describe('PfLinkTracker', () => {
  test('down then up: back once; the same state reported again (a VF setting changed) is not news', () => {
    const t = new PfLinkTracker();
    expect(t.feed(ev({}))).toBe('eth0'); // first seen up: one look too many is cheap
    expect(t.feed(ev({}))).toBeNull();
    expect(t.feed(ev({ up: false, carrier: false }))).toBeNull();
    expect(t.feed(ev({}))).toBe('eth0');
    expect(t.feed(ev({}))).toBeNull();
  });

  test('a driver reset that drops the carrier only, and a PF that went away and came back, count as back', () => {
    const t = new PfLinkTracker();
    t.feed(ev({}));
    expect(t.feed(ev({ carrier: false }))).toBe('eth0'); // up without carrier still serves VFs
    expect(t.feed(ev({}))).toBe('eth0');
    expect(t.feed(ev({ deleted: true, up: false, carrier: false }))).toBeNull();
    expect(t.feed(ev({}))).toBe('eth0');
  });

  test('PFs are tracked each on its own', () => {
    const t = new PfLinkTracker();
    t.feed(ev({}));
    t.feed(ev({ ifname: 'eth1' }));
    expect(t.feed(ev({ ifname: 'eth1', up: false }))).toBeNull();
    expect(t.feed(ev({}))).toBeNull();
    expect(t.feed(ev({ ifname: 'eth1' }))).toBe('eth1');
  });
});
