/**
 * The Grafana dashboard (templates/grafana-dashboard.json), as data typed by Grafana's published
 * schema (@grafana/schema's Dashboard, a type only: nothing of it runs), so `npm run typecheck`
 * refuses a field of the wrong type. Written to JSON at build (scripts/build.mjs); every query
 * uses only metrics `virt-sriov metrics` emits (test/unit/templates checks it).
 */
import type { Dashboard, Panel } from '@grafana/schema';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** Every query is limited to the hosts picked in the dashboard's Host variable. */
const HOST = 'instance=~"$instance"';

interface Query {
  readonly expr: string;
  readonly legend?: string;
}

function targets(queries: readonly Query[], extra: Record<string, unknown> = {}) {
  return queries.map((q, i) => ({
    refId: String.fromCharCode(65 + i), datasource: DATASOURCE, expr: q.expr, ...(q.legend ? { legendFormat: q.legend } : {}), ...extra,
  }));
}

function timeseries(id: number, title: string, description: string, unit: string, at: Panel['gridPos'], queries: readonly Query[]): Panel {
  return {
    id, type: 'timeseries', title, description, datasource: DATASOURCE, gridPos: at,
    fieldConfig: { defaults: { unit, min: 0, custom: { fillOpacity: 10, lineWidth: 1 } }, overrides: [] },
    options: { legend: { displayMode: 'table', placement: 'right', calcs: ['mean', 'max'], showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: targets(queries),
  };
}

const rate = (metric: string, matchers = '') => `rate(${metric}{${HOST}${matchers}}[$__rate_interval])`;

export const GRAFANA_DASHBOARD: Dashboard = {
  title: 'virt-sriov: traffic per guest',
  uid: 'virt-sriov-traffic',
  description: 'SR-IOV VF traffic per libvirt guest, VF usage per PF, the hooks\' health and the drift the watcher repaired, from `virt-sriov metrics` or the watcher\'s /metrics (docs/metrics.md).',
  tags: ['virt-sriov', 'sriov', 'libvirt'],
  timezone: 'browser',
  editable: true,
  graphTooltip: 1,
  schemaVersion: 39,
  version: 1,
  time: { from: 'now-6h', to: 'now' },
  refresh: '1m',
  templating: {
    list: [
      { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus' },
      {
        name: 'instance', label: 'Host', type: 'query', datasource: DATASOURCE, refresh: 2, includeAll: true, multi: true, allValue: '.*', sort: 1,
        query: { query: 'label_values(virt_sriov_pf_vfs_created, instance)', refId: 'instance' }
      },
    ],
  },
  annotations: { list: [] },
  panels: [
    timeseries(1, 'Received per guest',
      'What each running guest\'s VFs received (bit/s), from the PF\'s per-VF counters. A guest whose PF\'s driver counts nothing per VF (igb, ixgbe, bnx2x, bnxt_en) is missing here: see "VFs no counter sees".',
      'bps', { h: 8, w: 12, x: 0, y: 0 },
      [{ expr: `sum by (domain) (${rate('virt_sriov_vf_receive_bytes_total', ', domain!=""')}) * 8`, legend: '{{domain}}' }]),
    timeseries(2, 'Sent per guest', 'What each running guest sent through its VFs (bit/s).', 'bps', { h: 8, w: 12, x: 12, y: 0 },
      [{ expr: `sum by (domain) (${rate('virt_sriov_vf_transmit_bytes_total', ', domain!=""')}) * 8`, legend: '{{domain}}' }]),
    timeseries(3, 'Drops per guest',
      'Packets dropped on their way to each guest\'s VFs, and of those it sent (packets/s). Anything above zero is worth a look.',
      'pps', { h: 8, w: 12, x: 0, y: 8 }, [
        { expr: `sum by (domain) (${rate('virt_sriov_vf_receive_drop_total', ', domain!=""')})`, legend: '{{domain}} received' },
        { expr: `sum by (domain) (${rate('virt_sriov_vf_transmit_drop_total', ', domain!=""')})`, legend: '{{domain}} sent' },
      ]),
    timeseries(4, 'Busiest VFs', 'The ten VFs moving the most traffic, both ways (bit/s), with their guest.', 'bps', { h: 8, w: 12, x: 12, y: 8 },
      [{ expr: `topk(10, sum by (pf, vf, domain) (${rate('virt_sriov_vf_receive_bytes_total')} + ${rate('virt_sriov_vf_transmit_bytes_total')})) * 8`, legend: '{{pf}} vf {{vf}} {{domain}}' }]),
    timeseries(5, 'VFs per PF', 'Per PF: the VFs running guests hold, the VFs created, and how many it can have.', 'short', { h: 8, w: 12, x: 0, y: 16 }, [
      { expr: `virt_sriov_pf_vfs_held{${HOST}}`, legend: '{{pf}} held' },
      { expr: `virt_sriov_pf_vfs_created{${HOST}}`, legend: '{{pf}} created' },
      { expr: `virt_sriov_pf_vfs_supported{${HOST}}`, legend: '{{pf}} supported' },
    ]),
    {
      id: 6, type: 'stat', title: 'VFs no counter sees',
      description: 'VFs held by running guests whose traffic nothing counts: their PF\'s driver has no per-VF counters (igb, ixgbe, bnx2x, bnxt_en print zeros). Their guests are missing from the traffic panels.',
      datasource: DATASOURCE, gridPos: { h: 8, w: 4, x: 12, y: 16 },
      fieldConfig: { defaults: { unit: 'short' }, overrides: [] },
      options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'auto' },
      targets: targets([{ expr: `count(virt_sriov_vf_info{${HOST}, counted_by="none", domain!=""}) or vector(0)`, legend: 'VFs' }]),
    },
    timeseries(7, 'Hook failures',
      'Hook calls that failed or refused a guest (a start kept from running on the wrong VLAN, say), by hook and operation: `virt-sriov logs` says why.',
      'short', { h: 8, w: 8, x: 16, y: 16 },
      [{ expr: `sum by (hook, operation, result) (increase(virt_sriov_hook_calls_total{${HOST}, result=~"failed|refused"}[$__rate_interval]))`, legend: '{{hook}} {{operation}} {{result}}' }]),
    timeseries(8, 'Hook time (95th percentile)', 'How long the hooks take, by operation: a guest\'s start waits for prepare and start.', 's', { h: 8, w: 12, x: 0, y: 24 },
      [{ expr: `histogram_quantile(0.95, sum by (le, hook, operation) (${rate('virt_sriov_hook_duration_seconds_bucket')}))`, legend: '{{hook}} {{operation}}' }]),
    {
      id: 9, type: 'table', title: 'Held VFs and their settings',
      description: 'Every VF a running guest holds, with its VLAN, trust, spoof checking, link state and rate limits as the PF reports them now.',
      datasource: DATASOURCE, gridPos: { h: 8, w: 12, x: 12, y: 24 },
      fieldConfig: { defaults: {}, overrides: [] },
      options: { showHeader: true },
      transformations: [
        { id: 'labelsToFields', options: { mode: 'columns' } },
        { id: 'organize', options: { excludeByName: { Time: true, Value: true, __name__: true, job: true } } },
      ],
      targets: targets([{ expr: `virt_sriov_vf_settings_info{${HOST}}` }], { instant: true, format: 'table' }),
    },
    timeseries(10, 'Drift the watcher repaired',
      'Settings of running guests\' VFs that virt-sriov watch found changed behind their back (a PF down and up, a driver reset, a hand-made ip link set) and put right, by guest and setting. A failed repair is a failed watch call in "Hook failures"; `virt-sriov logs` says what changed from what.',
      'short', { h: 8, w: 24, x: 0, y: 32 },
      // only what was repaired: every held VF's settings are there at 0 (docs/metrics.md)
      [{ expr: `sum by (domain, setting) (increase(virt_sriov_drift_repaired_total{${HOST}}[$__rate_interval])) > 0`, legend: '{{domain}} {{setting}}' }]),
  ],
};

/** The file in templates/, as the build writes it. */
export function grafanaDashboardJson(): string {
  return JSON.stringify(GRAFANA_DASHBOARD, null, 2) + '\n';
}
