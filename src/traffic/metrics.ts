/**
 * What `virt-sriov metrics` exposes, from plain data: the host as read (PFs, VFs, counters),
 * who holds each VF, and the hook log. Pure. Every name here is part of the interface admins
 * build dashboards and alerts on: docs/metrics.md lists them, and they hold across releases
 * (rename nothing; add new names instead).
 */
import type { HostModel, PfInfo, VfInfo } from '../host/host-model.js';
import { HOOK_RESULTS, type HookLogEntry } from '../log/hook-log.js';
import { SNAPSHOT_KEYS, type SnapshotKey } from '../plan/vf-snapshot.js';
import type { VfHolder } from '../pool/vf-holders.js';
import type { Labels, MetricFamily, Sample } from './exposition.js';
import { trafficOwner, vfCounters, type VfCounters } from './vf-counters.js';

export interface MetricsInput {
  readonly host: HostModel;
  /** PCI address -> the guest that holds the VF. */
  readonly holders: ReadonlyMap<string, VfHolder>;
  /** The hook log's entries; replays (`virt-sriov hook`) are not libvirt's calls and are left out. */
  readonly log: readonly HookLogEntry[];
}

/** The VF counters, each from the VF's side (receive: towards the guest), node_exporter's words. */
const VF_COUNTERS: readonly { name: string; help: string; value: (c: VfCounters) => number | null }[] = [
  { name: 'virt_sriov_vf_receive_bytes_total', help: 'Bytes the VF received (towards its guest).', value: (c) => c.rxBytes },
  { name: 'virt_sriov_vf_transmit_bytes_total', help: 'Bytes the VF sent (from its guest).', value: (c) => c.txBytes },
  { name: 'virt_sriov_vf_receive_packets_total', help: 'Packets the VF received.', value: (c) => c.rxPackets },
  { name: 'virt_sriov_vf_transmit_packets_total', help: 'Packets the VF sent.', value: (c) => c.txPackets },
  { name: 'virt_sriov_vf_receive_multicast_total', help: 'Multicast packets the VF received.', value: (c) => c.multicast },
  { name: 'virt_sriov_vf_receive_broadcast_total', help: 'Broadcast packets the VF received (counted by the PF only).', value: (c) => c.broadcast },
  { name: 'virt_sriov_vf_receive_drop_total', help: 'Packets dropped on their way to the VF.', value: (c) => c.rxDropped },
  { name: 'virt_sriov_vf_transmit_drop_total', help: 'Packets the VF sent that were dropped.', value: (c) => c.txDropped },
];

/** Hook durations in seconds: a guest start waits on the prepare and start hooks. */
export const HOOK_DURATION_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function guestOf(vf: VfInfo, holders: ReadonlyMap<string, VfHolder>): VfHolder | null {
  return trafficOwner(holders, vf.pci);
}

function vfLabels(pf: PfInfo, vf: VfInfo, holders: ReadonlyMap<string, VfHolder>): Labels {
  const guest = guestOf(vf, holders);
  return {
    pf: pf.name,
    vf: String(vf.vf),
    pci: vf.pci,
    domain: guest?.domain ?? '',
    // the MAC on the wire as the PF reports it; the guest's from its XML or record when the PF says nothing
    mac: vf.state?.mac ?? guest?.mac ?? '',
  };
}

export function buildMetrics(input: MetricsInput): MetricFamily[] {
  const { host, holders } = input;
  const vfs = host.pfs.flatMap((pf) => pf.vfs.map((vf) => ({ pf, vf, labels: vfLabels(pf, vf, holders), counters: vfCounters(pf, vf) })));
  const families: MetricFamily[] = [];

  families.push({
    name: 'virt_sriov_vf_info', type: 'gauge',
    help: 'Every VF (1), with its guest and what counts its traffic: pf (the PF), netdev (its own, on the host) or none (the driver counts nothing per VF).',
    samples: vfs.map(({ vf, labels, counters }) => ({
      labels: { ...labels, driver: vf.driver ?? '', counted_by: counters?.source ?? 'none' }, value: 1,
    })),
  });
  for (const def of VF_COUNTERS) {
    const samples: Sample[] = [];
    for (const { labels, counters } of vfs) {
      const value = counters && def.value(counters);
      if (value !== null && value !== undefined) samples.push({ labels, value });
    }
    families.push({ name: def.name, help: def.help, type: 'counter', samples });
  }
  families.push({
    name: 'virt_sriov_vf_settings_info', type: 'gauge',
    help: 'The live settings of each VF a running guest holds (1), as the PF reports them; a setting the driver does not report is empty.',
    samples: vfs.filter(({ vf }) => guestOf(vf, holders) && vf.state).map(({ vf, labels }) => {
      const s = vf.state!;
      const flag = (b: boolean | null) => (b === null ? '' : b ? 'on' : 'off');
      return {
        labels: {
          ...labels, vlan: String(s.vlan), qos: String(s.qos), spoofchk: flag(s.spoofchk), trust: flag(s.trust),
          link_state: s.linkState ?? '', min_tx_rate_mbps: String(s.minTxRate), max_tx_rate_mbps: String(s.maxTxRate), query_rss: flag(s.queryRss),
        },
        value: 1,
      };
    }),
  });

  const pfLabels = (pf: PfInfo): Labels => ({ pf: pf.name, pci: pf.pci, driver: pf.driver ?? '' });
  const held = (pf: PfInfo) => pf.vfs.filter((vf) => guestOf(vf, holders)).length;
  families.push(
    { name: 'virt_sriov_pf_vfs_supported', type: 'gauge', help: 'VFs the PF can have (sriov_totalvfs).', samples: host.pfs.map((pf) => ({ labels: pfLabels(pf), value: pf.totalVfs })) },
    { name: 'virt_sriov_pf_vfs_created', type: 'gauge', help: 'VFs the PF has now (sriov_numvfs).', samples: host.pfs.map((pf) => ({ labels: pfLabels(pf), value: pf.numVfs })) },
    { name: 'virt_sriov_pf_vfs_held', type: 'gauge', help: 'VFs of the PF that running guests hold.', samples: host.pfs.map((pf) => ({ labels: pfLabels(pf), value: held(pf) })) },
    { name: 'virt_sriov_pf_up', type: 'gauge', help: 'Whether the PF is up (1) or down (0): a down PF carries no VF traffic.', samples: host.pfs.map((pf) => ({ labels: pfLabels(pf), value: pf.up ? 1 : 0 })) },
  );
  families.push(...hookMetrics(input.log));
  const heldVfs = vfs.flatMap(({ pf, vf }) => {
    const guest = guestOf(vf, holders);
    return guest ? [{ domain: guest.domain, pf: pf.name, vf: vf.vf }] : [];
  });
  families.push(driftMetric(input.log, heldVfs));
  return families;
}

/**
 * The `setting` label of virt_sriov_drift_repaired_total for each setting in the state (the
 * names of virt_sriov_vf_settings_info's labels, without units). Part of the interface: a new
 * setting gets a new value, none changes.
 */
export const DRIFT_SETTING_LABELS: Readonly<Record<SnapshotKey, string>> = {
  mac: 'mac', vlan: 'vlan', spoofchk: 'spoofchk', trust: 'trust', linkState: 'link_state',
  minTxRate: 'min_tx_rate', maxTxRate: 'max_tx_rate', queryRss: 'query_rss',
};

/**
 * Drift the watcher repaired, by domain, VF and setting, from the log's `repaired` (so a one-shot
 * `metrics` and the watcher's /metrics say the same). Every setting of every VF a running guest
 * holds is there at 0 until it drifts: increase() misses a series' first sample, and a first
 * repair is the one that matters.
 */
export function driftMetric(log: readonly HookLogEntry[], heldVfs: readonly { domain: string; pf: string; vf: number }[]): MetricFamily {
  const counts = new Map<string, { labels: Labels; count: number }>();
  const series = (domain: string, pf: string, vf: number, setting: string) => {
    const labels = { domain, pf, vf: String(vf), setting };
    const key = JSON.stringify(labels);
    let c = counts.get(key);
    if (!c) counts.set(key, (c = { labels, count: 0 }));
    return c;
  };
  for (const h of heldVfs) for (const k of SNAPSHOT_KEYS) series(h.domain, h.pf, h.vf, DRIFT_SETTING_LABELS[k]);
  for (const e of log) {
    if (e.hook !== 'watch' || e.replay || !Array.isArray(e.repaired)) continue;
    for (const r of e.repaired) {
      // a hand-edited or foreign line is skipped, as parseLogLines skips one that is no entry
      if (!r || typeof r.pf !== 'string' || typeof r.vf !== 'number' || !Array.isArray(r.settings)) continue;
      for (const k of r.settings) {
        if (typeof k === 'string') series(e.object, r.pf, r.vf, DRIFT_SETTING_LABELS[k as SnapshotKey] ?? k).count++;
      }
    }
  }
  return {
    name: 'virt_sriov_drift_repaired_total', type: 'counter',
    help: 'Settings of VFs held by running guests that the watcher (virt-sriov watch) found drifted from what the guest asked for (a driver reset, a PF down and up, a hand-made ip link set) and put right, by domain, VF and setting, from the hook log since it was last rotated.',
    samples: [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => ({ labels: c.labels, value: c.count })),
  };
}

/** Hook calls by hook, operation and result, and their durations, from the log. */
export function hookMetrics(log: readonly HookLogEntry[]): MetricFamily[] {
  const calls = new Map<string, { labels: Labels; count: number }>();
  const durations = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
  for (const e of log) {
    if (e.replay) continue;
    // every result of an operation seen, at 0 until it happens: increase() misses a series' first
    // sample, so a first failure would never show if its series were born with it
    for (const result of new Set<string>([...HOOK_RESULTS, String(e.result)])) {
      const labels = { hook: e.hook, operation: e.op, result };
      const key = JSON.stringify(labels);
      if (!calls.has(key)) calls.set(key, { labels, count: 0 });
    }
    calls.get(JSON.stringify({ hook: e.hook, operation: e.op, result: String(e.result) }))!.count++;
    if (typeof e.durationMs !== 'number' || !Number.isFinite(e.durationMs)) continue;
    const opLabels = { hook: e.hook, operation: e.op };
    const opKey = JSON.stringify(opLabels);
    const d = durations.get(opKey) ?? { labels: opLabels, buckets: HOOK_DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
    const seconds = e.durationMs / 1000;
    HOOK_DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) d.buckets[i]!++;
    });
    d.sum += seconds;
    d.count++;
    durations.set(opKey, d);
  }
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return [
    {
      name: 'virt_sriov_hook_calls_total', type: 'counter',
      help: 'Hook calls libvirt made, by hook, operation and result (ok, refused, failed, ignored), from the hook log since it was last rotated.',
      samples: sorted(calls).map((c) => ({ labels: c.labels, value: c.count })),
    },
    {
      name: 'virt_sriov_hook_duration_seconds', type: 'histogram',
      help: 'How long each hook call took, by hook and operation, from the hook log.',
      samples: sorted(durations).flatMap((d) => [
        ...HOOK_DURATION_BUCKETS.map((le, i) => ({ suffix: '_bucket', labels: { ...d.labels, le: String(le) }, value: d.buckets[i]! })),
        { suffix: '_bucket', labels: { ...d.labels, le: '+Inf' }, value: d.count },
        { suffix: '_sum', labels: d.labels, value: Math.round(d.sum * 1e6) / 1e6 },
        { suffix: '_count', labels: d.labels, value: d.count },
      ]),
    },
  ];
}
