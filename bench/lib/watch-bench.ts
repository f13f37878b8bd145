/**
 * Row 8: the watcher, from libvirt's event to a settled VF (issue 16), in one process. The
 * watcher's own loop (src/watch/watcher.ts) over a fake connection, and its own look at the
 * guest (act.ts, as `virt-sriov watch` calls it: the live XML read, one `ip` read, one `ip
 * -batch` write, the read back, the record, under the `vfs` lock taken by flock(1)), on a fake
 * host with one igb PF. The live XML is libvirt 9.0's own (captured in the lab) with a hostdev
 * VF whose metadata asks for MAC, VLAN, trust, spoofchk and a rate.
 *
 * Each run: the VF carries another guest's settings and virt-sriov has no record of it (plain
 * `virsh attach-device` just plugged it in), then libvirt's device-added event arrives; timed
 * from the event handed to the watcher to the look done, the VF checked to carry every
 * setting. Then the same with a VF the guest holds whose VLAN and trust a driver reset wiped
 * (drift, repaired). `ip` is the in-process fake's (no process) or a command (the fast fake
 * client, a process per call as the real ip is).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { HookReport, type HookEnv } from '../../src/hooks/hook-env.js';
import { ipTool } from '../../src/host/ip.js';
import { ipVfPort } from '../../src/host/vf-port.js';
import { stateStore } from '../../src/state/state-store.js';
import { reconcileGuest, runningGuest } from '../../src/watch/act.js';
import { Watcher, type WatchedConnection, type WatchEvent } from '../../src/watch/watcher.js';
import { DomainXml } from '../../src/xml/domain.js';
import { FakeHost } from '../../test/support/fake-host.js';
import { withMetadata } from '../../test/support/hook-bench.js';

// in the capture, VF 1 of eth0 (0000:01:10.2) is l2-hostdev's <hostdev>
const PCI = '0000:01:10.2';
const ENTRY = `<sriov:vf pci='${PCI}' mac='de:ad:fe:ed:ff:01' vlan='403' trust='on' spoofchk='off' max-tx-rate='100'/>`;
const SETTLED = { mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true, spoofchk: false, max_tx: 100 } as const;

export interface WatchCase {
  readonly label: string;
  readonly samples: number[];
}

/**
 * `runs` timed events per case (after two to warm up). `ipFor` gives the `ip` command for the
 * fake host's root (a fast fake client served from it), or null for the in-process fake ip.
 * Throws when a VF did not settle.
 */
export async function measureWatch(runs: number, root: string, project: string, ipFor: (hostRoot: string) => Promise<string[] | null> = async () => null): Promise<WatchCase[]> {
  const host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2, refuses: ['state', 'proto'] }]);
  const ipCommand = await ipFor(host.root);
  const dir = mkdtempSync(join(root, 'watch-'));
  const config = { ...loadConfig(undefined), stateDir: join(dir, 'state'), logFile: join(dir, 'virt-sriov.log'), sysfsRoot: host.sysRoot };
  const vfPort = ipVfPort(ipCommand ? ipTool(ipCommand) : host.ip);
  const state = stateStore(config.stateDir);
  const envOf = (): HookEnv => ({ config, sysfs: host.sysfs, vfPort, state, hostdevNetworks: () => new Set(), definedDomains: () => [], report: new HookReport() });
  const capture = join(project, 'test/fixtures/captures/libvirt9.0-qemu7.2-igb/hook-stdin/qemu.l2-hostdev.started.begin.xml');
  const xml = withMetadata(readFileSync(capture, 'utf8'), [ENTRY]);
  const domain = DomainXml.read(xml, 'live XML').name;

  // the cases, one event each run: what happened before the event, and what the watcher must have done
  const cases = [
    { label: 'hot-plugged VF (plain virsh attach-device): device-added -> settings on, read back, recorded', samples: [] as number[],
      before: () => {
        state.remove(PCI);
        host.setVf('eth0', 1, { mac: '02:00:00:00:00:21', vlan: 7, trust: false, spoofchk: true, max_tx: 0 });
      } },
    { label: 'held VF whose VLAN and trust a driver reset wiped: event -> drift repaired, read back', samples: [] as number[],
      before: () => host.setVf('eth0', 1, { vlan: 0, trust: false }) },
  ];
  const queue: { c: (typeof cases)[number]; at: number | null }[] = [];
  for (const c of cases) for (let i = 0; i < runs + 2; i++) queue.push({ c, at: null });
  let pending: (typeof queue)[number] | null = null;
  let handler: ((d: string, e: WatchEvent) => void) | null = null;
  let failure: Error | null = null;

  const conn: WatchedConnection = {
    running: () => [domain],
    liveXml: () => xml,
    onEvent: (h) => {
      handler = h;
      return () => (handler = null);
    },
    // one event per turn of libvirt's loop, as it dispatches them
    run: async () => {
      if (!pending && queue.length) {
        pending = queue.shift()!;
        pending.c.before();
        pending.at = performance.now();
        handler?.(domain, 'device-added');
      }
      await new Promise((resolve) => setImmediate(resolve));
    },
    alive: () => true,
    close: () => undefined,
  };
  const watcher: Watcher = new Watcher({
    connect: () => conn,
    reconcile: async (_domain, liveXml, why) => {
      const env = envOf();
      const done = await reconcileGuest(env, runningGuest(env, DomainXml.read(liveXml, 'live XML')));
      const end = performance.now();
      if (why.reason === 'connected') return; // the look at start: not an event
      const p = pending!;
      pending = null;
      const vf = host.vf('eth0', 1);
      const off = Object.entries(SETTLED).filter(([k, v]) => vf[k as keyof typeof vf] !== v);
      if (done.failed || off.length) failure ??= new Error(`${p.c.label}: the VF did not settle (${off.map(([k]) => k).join(', ')}; ${env.report.notes.join('; ')})`);
      p.c.samples.push(end - p.at!);
      if (failure || (!queue.length && !pending)) watcher.stop();
    },
    say: () => undefined,
    sleep: async () => undefined,
  }, { retryMs: 1, pollMs: 1 });
  try {
    await watcher.run();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    host.remove();
  }
  if (failure) throw failure;
  return cases.map((c) => ({ label: c.label, samples: c.samples.slice(2) }));
}
