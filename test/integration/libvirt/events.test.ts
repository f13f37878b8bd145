/**
 * Domain events and device hot-plug through the binding, against a real libvirtd (9.0, QEMU
 * 7.2) private to this file, reached from this process over its socket. The guest is a TCG guest
 * with no OS: a virtio NIC hot-plugs (QEMU needs no guest for that), but its unplug waits for a
 * guest OS to acknowledge it, which never comes: libvirt sends no `removed` event.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { LifecycleEvent, openLibvirt, type DeviceEvent, type LibvirtConnection, type LifecycleEventData } from '../../../src/libvirt/index.js';
import { startPrivateLibvirtd, type PrivateLibvirtd } from '../support/private-libvirtd.js';
import { domainXml } from '../hooks/hook-suite.js';

let libvirt: PrivateLibvirtd;
let conn: LibvirtConnection;
const NIC = `<interface type='user'>\n  <mac address='52:54:00:ee:00:01'/>\n  <model type='virtio'/>\n</interface>\n`;

beforeAll(async () => {
  libvirt = await startPrivateLibvirtd();
  conn = openLibvirt({ uri: `qemu+unix:///system?socket=${libvirt.paths.run}/libvirt/libvirt-sock`, events: true });
}, 60_000);

afterAll(async () => {
  conn?.close();
  await libvirt?.stop();
}, 30_000);

describe('domain events', () => {
  test('a guest started and destroyed: lifecycle events, in order, named by domain', async () => {
    const seen: LifecycleEventData[] = [];
    const stop = conn.events.onLifecycle((e) => seen.push(e));
    try {
      conn.domains.define(domainXml('ev1'));
      conn.domains.start('ev1');
      await conn.events.run(10_000, () => seen.some((e) => e.event === LifecycleEvent.STARTED));
      conn.domains.destroy('ev1');
      await conn.events.run(10_000, () => seen.some((e) => e.event === LifecycleEvent.STOPPED));
    } finally {
      stop();
    }
    // libvirt 9.0 also sends RESUMED after STARTED and SHUTDOWN before STOPPED
    const main: number[] = [LifecycleEvent.DEFINED, LifecycleEvent.STARTED, LifecycleEvent.STOPPED];
    expect(seen.filter((e) => e.domain === 'ev1' && main.includes(e.event)).map((e) => e.event)).toEqual(main);
  }, 60_000);

  test('a NIC hot-plugged into the running guest: `added` names its alias, the live XML has it, the definition does not', async () => {
    conn.domains.define(domainXml('ev2'));
    conn.domains.start('ev2');
    const seen: DeviceEvent[] = [];
    const stop = conn.events.onDevice((e) => seen.push(e));
    try {
      conn.domains.attachDevice('ev2', NIC, { live: true, config: false });
      await conn.events.run(10_000, () => seen.length > 0);
    } finally {
      stop();
    }
    const alias = /<mac address='52:54:00:ee:00:01'\/>[\s\S]*?<alias name='([^']+)'\/>/.exec(conn.domains.xml('ev2'))?.[1];
    expect(alias).toBeDefined();
    expect(seen).toEqual([{ kind: 'added', domain: 'ev2', alias }]);
    expect(conn.domains.xml('ev2', { inactive: true })).not.toContain('52:54:00:ee:00:01');
  }, 60_000);

  test('its unplug is only asked for: a guest with no OS never acknowledges it, so no `removed` event comes and the device stays', async () => {
    const seen: DeviceEvent[] = [];
    const stop = conn.events.onDevice((e) => seen.push(e));
    try {
      conn.domains.detachDevice('ev2', NIC, { live: true, config: false });
      await conn.events.run(1_000);
    } finally {
      stop();
    }
    expect(seen.filter((e) => e.kind === 'removed')).toEqual([]);
    expect(conn.domains.xml('ev2')).toContain('52:54:00:ee:00:01');
  }, 60_000);

  test('a device libvirt refuses: the error says what failed, and no event comes', async () => {
    const seen: DeviceEvent[] = [];
    const stop = conn.events.onDevice((e) => seen.push(e));
    try {
      expect(() => conn.domains.attachDevice('ev2', '<interface type=\'network\'><source network=\'nosuch\'/></interface>', { live: true, config: false }))
        .toThrow(/^libvirt could not attach a device to the running guest domain ev2: .*nosuch/);
      await conn.events.run(200);
    } finally {
      stop();
    }
    expect(seen).toEqual([]);
  }, 60_000);
});
