/**
 * The watcher's loop (src/watch/watcher.ts) over a fake libvirt connection that behaves as
 * libvirt's does: events arrive while its loop turns, a restarted libvirtd leaves the connection
 * dead, and a daemon that is down refuses connections. What is looked at, and when.
 */
import { describe, expect, test } from '@jest/globals';
import { LifecycleEvent } from '../../../src/libvirt/index.js';
import { eventOf, Watcher, type WatchedConnection, type WatchEvent, type WhyLook } from '../../../src/watch/watcher.js';

/** A libvirtd: its running guests, events it will send while the loop turns, and whether it is up. */
class FakeLibvirtd {
  running = new Map<string, string>();
  up = true;
  connects = 0;
  /** Events sent during the next turns of the loop, one per turn. */
  pending: [string, WatchEvent][] = [];
  handlers = new Set<(domain: string, e: WatchEvent) => void>();
  current: { alive: boolean } | null = null;

  connect(): WatchedConnection {
    if (!this.up) throw new Error('Failed to connect socket to \'/var/run/libvirt/libvirt-sock\': No such file or directory');
    this.connects++;
    const state = { alive: true };
    this.current = state;
    return {
      running: () => [...this.running.keys()],
      liveXml: (d) => this.running.get(d) ?? null,
      onEvent: (h) => {
        this.handlers.add(h);
        return () => this.handlers.delete(h);
      },
      run: async (_ms, until) => {
        const next = this.pending.shift();
        if (next) for (const h of this.handlers) h(...next);
        await new Promise((resolve) => setImmediate(resolve));
        void until;
      },
      alive: () => state.alive && this.up,
      close: () => (state.alive = false),
    };
  }

  /** libvirtd restarts: the connection is dead; it comes back `after` connect attempts. */
  restart(): void {
    this.up = false;
  }
}

function watcherOn(daemon: FakeLibvirtd, stopWhen: (looks: string[]) => boolean) {
  const looks: string[] = [];
  const said: string[] = [];
  const watcher: Watcher = new Watcher({
    connect: () => daemon.connect(),
    reconcile: async (domain, xml, why) => {
      looks.push(`${domain}:${why.reason}${why.detail ? ` ${why.detail}` : ""}`);
      if (stopWhen(looks)) watcher.stop();
      void xml;
    },
    say: (l) => said.push(l),
    sleep: async () => {
      daemon.up = true; // the daemon is back by the next try
    },
  }, { retryMs: 10, pollMs: 10 });
  return { watcher, looks, said };
}

describe('Watcher', () => {
  test('at start every running guest is looked at, then each guest an event names', async () => {
    const daemon = new FakeLibvirtd();
    daemon.running.set('fw1', '<domain/>').set('db1', '<domain/>');
    daemon.pending.push(['fw1', 'device-added']);
    const { watcher, looks } = watcherOn(daemon, (l) => l.length === 3);
    await watcher.run();
    expect(looks).toEqual(['fw1:connected', 'db1:connected', 'fw1:device-added']);
  });

  test('an event for a guest that no longer runs, a stop, or one of no interest leads to no look', async () => {
    const daemon = new FakeLibvirtd();
    daemon.running.set('fw1', '<domain/>');
    daemon.pending.push(['gone', 'device-removed'], ['fw1', 'stopped'], ['fw1', 'other'], ['fw1', 'device-removed']);
    const { watcher, looks } = watcherOn(daemon, (l) => l.length === 2);
    await watcher.run();
    expect(looks).toEqual(['fw1:connected', 'fw1:device-removed']);
  });

  test('libvirtd restarts: the watcher says so, connects again once it is back, and looks at every running guest again (events lost meanwhile are caught up)', async () => {
    const daemon = new FakeLibvirtd();
    daemon.running.set('fw1', '<domain/>');
    const { watcher, looks, said } = watcherOn(daemon, (l) => {
      if (l.length === 1) daemon.restart();
      return l.length === 2;
    });
    await watcher.run();
    expect(looks).toEqual(['fw1:connected', 'fw1:connected']);
    expect(daemon.connects).toBe(2);
    expect(said.join('\n')).toMatch(/lost the connection to libvirtd \(restarted\?\); connecting again/);
  });

  test('libvirtd down at start: said once, tried again until it answers', async () => {
    const daemon = new FakeLibvirtd();
    daemon.up = false;
    daemon.running.set('fw1', '<domain/>');
    const { watcher, looks, said } = watcherOn(daemon, (l) => l.length === 1);
    await watcher.run();
    expect(looks).toEqual(['fw1:connected']);
    expect(said).toEqual([expect.stringMatching(/^cannot reach libvirtd: Failed to connect socket .*; trying again every 0.01 s$/), 'libvirtd is back']);
  });

  test('lookAgain (a PF came back, SIGHUP) looks at every running guest again', async () => {
    const daemon = new FakeLibvirtd();
    daemon.running.set('fw1', '<domain/>');
    const { watcher, looks } = watcherOn(daemon, (l) => {
      if (l.length === 1) setImmediate(() => watcher.lookAgain('sighup'));
      return l.length === 2;
    });
    await watcher.run();
    expect(looks).toEqual(['fw1:connected', 'fw1:sighup']);
  });

  test('a PF back up is one reason whichever PF it is (a bounded metric label), the PF its detail; the link monitor restarted is another', async () => {
    const daemon = new FakeLibvirtd();
    daemon.running.set('fw1', '<domain/>');
    const whys: WhyLook[] = [];
    const watcher: Watcher = new Watcher({
      connect: () => daemon.connect(),
      reconcile: async (_domain, _xml, why) => {
        whys.push(why);
        if (whys.length === 1) setImmediate(() => watcher.pfBack('ens1f0'));
        if (whys.length === 2) setImmediate(() => watcher.pfBack('*'));
        if (whys.length === 3) watcher.stop();
      },
      say: () => undefined,
      sleep: async () => undefined,
    }, { retryMs: 10, pollMs: 5 });
    await watcher.run();
    expect(whys).toEqual([{ reason: 'connected' }, { reason: 'pf-up', detail: 'ens1f0' }, { reason: 'pf-monitor-restarted' }]);
  });

  test('the same event twice before the look: one look', async () => {
    const daemon = new FakeLibvirtd();
    daemon.running.set('fw1', '<domain/>');
    const { watcher, looks } = watcherOn(daemon, (l) => l.length === 2);
    const original = daemon.connect.bind(daemon);
    daemon.connect = () => {
      const c = original();
      return { ...c, run: async (ms, until) => {
        for (const h of daemon.handlers) { h('fw1', 'device-added'); h('fw1', 'device-added'); }
        await c.run(ms, until);
      } };
    };
    await watcher.run();
    expect(looks).toEqual(['fw1:connected', 'fw1:device-added']);
  });
});

describe('eventOf', () => {
  test('device events by kind, lifecycle by libvirt\'s number', () => {
    expect(['added', 'removed', 'removal-failed'].map((k) => eventOf(k as 'added'))).toEqual(['device-added', 'device-removed', 'device-removal-failed']);
    expect([LifecycleEvent.STARTED, LifecycleEvent.RESUMED, LifecycleEvent.STOPPED, LifecycleEvent.DEFINED].map(eventOf)).toEqual(['started', 'started', 'stopped', 'other']);
  });
});
