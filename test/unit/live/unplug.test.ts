/**
 * detach --live's wait (src/live/unplug.ts) against a fake libvirt that sends device events as
 * libvirt 9.0 does (kind, domain, the device's alias: hostdev0, net1; see
 * test/integration/libvirt/events.test.ts for the real ones).
 */
import { describe, expect, test } from '@jest/globals';
import type { DeviceEvent } from '../../../src/libvirt/index.js';
import { unplugAndWait, type UnplugPort } from '../../../src/live/unplug.js';

/** A fake connection: `script` says which events libvirt sends, during the request or once the loop runs. */
function fakePort(script: { during?: DeviceEvent[]; later?: DeviceEvent[]; gone?: boolean }) {
  const handlers = new Set<(e: DeviceEvent) => void>();
  const calls: string[] = [];
  let ran = 0;
  const port: UnplugPort = {
    requestRemoval: (domain, xml) => {
      calls.push(`detach ${domain} ${xml.trim()}`);
      for (const e of script.during ?? []) handlers.forEach((h) => h(e));
    },
    onDevice: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    run: async (ms, until) => {
      ran = ms;
      for (const e of script.later ?? []) {
        if (until()) break;
        handlers.forEach((h) => h(e));
      }
    },
    stillHas: () => !script.gone,
  };
  return { port, calls, subscribed: () => handlers.size, ran: () => ran };
}

const XML = "<hostdev mode='subsystem' type='pci' managed='yes'><alias name='hostdev0'/></hostdev>";
const removed = (domain: string, alias: string): DeviceEvent => ({ kind: 'removed', domain, alias });

describe('unplugAndWait', () => {
  test('the removed event of this device of this domain ends the wait; the subscription is gone after', async () => {
    const f = fakePort({ later: [removed('fw2', 'hostdev0'), removed('fw1', 'net1'), removed('fw1', 'hostdev0')] });
    expect(await unplugAndWait(f.port, 'fw1', 'hostdev0', XML, 30_000)).toBe('removed');
    expect(f.calls).toEqual([`detach fw1 ${XML}`]);
    expect(f.ran()).toBe(30_000);
    expect(f.subscribed()).toBe(0);
  });

  test('an event sent while libvirt answers the request (the guest acknowledged within libvirt\'s own wait) is not missed', async () => {
    const f = fakePort({ during: [removed('fw1', 'hostdev0')] });
    expect(await unplugAndWait(f.port, 'fw1', 'hostdev0', XML, 30_000)).toBe('removed');
  });

  test('no event for it, and the running guest still has it: the guest did not acknowledge in time', async () => {
    const f = fakePort({ later: [removed('fw1', 'hostdev1'), { kind: 'added', domain: 'fw1', alias: 'hostdev0' }] });
    expect(await unplugAndWait(f.port, 'fw1', 'hostdev0', XML, 3_000)).toBe('timeout');
    expect(f.subscribed()).toBe(0);
  });

  test('an event lost, but the running guest no longer has the device: removed', async () => {
    expect(await unplugAndWait(fakePort({ gone: true }).port, 'fw1', 'hostdev0', XML, 3_000)).toBe('removed');
    // without an alias only the event can tell
    expect(await unplugAndWait(fakePort({ gone: true }).port, 'fw1', null, XML, 3_000)).toBe('timeout');
  });

  test('libvirt\'s removal-failed: the guest refused', async () => {
    const f = fakePort({ later: [{ kind: 'removal-failed', domain: 'fw1', alias: 'hostdev0' }] });
    expect(await unplugAndWait(f.port, 'fw1', 'hostdev0', XML, 30_000)).toBe('refused');
  });

  test('a request libvirt refuses throws, and leaves no subscription behind', async () => {
    const f = fakePort({});
    f.port.requestRemoval = () => { throw new Error('libvirt could not detach a device'); };
    await expect(unplugAndWait(f.port, 'fw1', 'hostdev0', XML, 3_000)).rejects.toThrow('libvirt could not detach a device');
    expect(f.subscribed()).toBe(0);
  });
});
