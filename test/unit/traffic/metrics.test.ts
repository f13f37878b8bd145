import { afterEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { readHost } from '../../../src/host/host-model.js';
import type { HookLogEntry } from '../../../src/log/hook-log.js';
import { parseLogLines } from '../../../src/log/log-view.js';
import type { VfHolder } from '../../../src/pool/vf-holders.js';
import { renderExposition } from '../../../src/traffic/exposition.js';
import { buildMetrics, driftMetric, DRIFT_SETTING_LABELS, hookMetrics, HOOK_DURATION_BUCKETS } from '../../../src/traffic/metrics.js';
import { SNAPSHOT_KEYS } from '../../../src/plan/vf-snapshot.js';
import { FakeHost } from '../../support/fake-host.js';

let host: FakeHost;
afterEach(() => host?.remove());


const parse = (text: string) => parsePrometheusTextFormat(text);
const family = (text: string, name: string) => parse(text).find((f) => f.name === name);

/** Prometheus's own checker (Debian's prometheus package; .ci/run installs it): format and naming. */
function promtool(text: string): { code: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is not installed (apt-get install prometheus): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const entry = (e: Partial<HookLogEntry>): HookLogEntry => ({
  time: '2026-12-05T10:00:00.000Z', hook: 'qemu', op: 'prepare', subop: 'begin', object: 'web1', result: 'ok', durationMs: 120,
  vfs: [], changes: [], notes: [], ...e,
});

/** A host with a guest on each kind of PF: mlx5 counts per VF, igb does not. */
async function scene(extraLog: readonly HookLogEntry[] = []) {
  host = FakeHost.create([
    { name: 'eth0', pci: '0000:01:00.0', numVfs: 2 },
    { name: 'ens1f0', pci: '0000:3b:00.0', driver: 'mlx5_core', numVfs: 3 },
  ]);
  host.bindVf('eth0', 0, 'vfio-pci');
  host.bindVf('ens1f0', 1, 'vfio-pci');
  host.setVf('ens1f0', 1, { mac: '52:54:00:fe:00:01', vlan: 403, trust: true, max_tx: 1000 });
  host.countTraffic('ens1f0', 1, { rxBytes: 9_000_000, rxPackets: 6000, txBytes: 4_500_000, txPackets: 3000, rxDropped: 7, broadcast: 2, multicast: 5 });
  host.countTraffic('eth0', 1, { txBytes: 640, txPackets: 10 });
  const model = await readHost(host.sysfs, host.ip, ['eth0', 'ens1f0'], { traffic: true });
  const holders = new Map<string, VfHolder>([
    [host.vfAddress('ens1f0', 1), { domain: 'fw1', running: true, mac: '52:54:00:fe:00:01', alias: 'ua-wan' }],
    [host.vfAddress('eth0', 0), { domain: 'web1', running: true, mac: null, alias: 'hostdev0' }],
    [host.vfAddress('ens1f0', 2), { domain: 'spare', running: false, mac: null, alias: null }],
  ]);
  const log = [
    entry({ op: 'prepare', durationMs: 80 }), entry({ op: 'start', durationMs: 420 }), entry({ op: 'start', durationMs: 3100, result: 'refused' }),
    entry({ hook: 'network', op: 'port-created', object: 'sriov', durationMs: 30 }), entry({ op: 'start', durationMs: 1, replay: true }),
    ...extraLog,
  ];
  return renderExposition(buildMetrics({ host: model, holders, log }));
}

describe('virt-sriov metrics: the exposition', () => {
  test('promtool accepts it: valid text format, Prometheus naming (_total counters, base units)', async () => {
    const text = await scene();
    expect(promtool(text)).toEqual({ code: 0, out: '' });
  });

  test('promtool is not a rubber stamp: it refuses a gauge named _total and a broken line', () => {
    expect(promtool('# HELP x_total a\n# TYPE x_total gauge\nx_total 1\n').code).not.toBe(0);
    expect(promtool('# TYPE y counter\ny{a="1" 2\n').code).not.toBe(0);
  });

  test("a guest's VF counted by its PF (mlx5): every counter, labelled pf, vf, pci, domain, mac", async () => {
    const text = await scene();
    const labels = { pf: 'ens1f0', vf: '1', pci: '0000:3b:10.2', domain: 'fw1', mac: '52:54:00:fe:00:01' };
    const value = (name: string) => family(text, name)?.metrics.find((m) => m.labels?.pci === labels.pci);
    expect(value('virt_sriov_vf_receive_bytes_total')).toEqual({ labels, value: '9000000' });
    expect(value('virt_sriov_vf_transmit_bytes_total')).toEqual({ labels, value: '4500000' });
    expect(value('virt_sriov_vf_receive_packets_total')).toEqual({ labels, value: '6000' });
    expect(value('virt_sriov_vf_transmit_packets_total')).toEqual({ labels, value: '3000' });
    expect(value('virt_sriov_vf_receive_drop_total')).toEqual({ labels, value: '7' });
    expect(value('virt_sriov_vf_receive_broadcast_total')).toEqual({ labels, value: '2' });
    expect(value('virt_sriov_vf_receive_multicast_total')).toEqual({ labels, value: '5' });
    expect(family(text, 'virt_sriov_vf_receive_bytes_total')!.type).toBe('COUNTER');
  });

  test("igb's zeros are no series: its guest's VF has vf_info counted_by none; a VF on igbvf its netdev's", async () => {
    const text = await scene();
    const bytes = family(text, 'virt_sriov_vf_transmit_bytes_total')!.metrics;
    expect(bytes.find((m) => m.labels?.pci === host.vfAddress('eth0', 0))).toBeUndefined();
    expect(bytes.find((m) => m.labels?.pci === host.vfAddress('eth0', 1))).toMatchObject({ value: '640', labels: { domain: '' } });
    const info = family(text, 'virt_sriov_vf_info')!.metrics;
    expect(info.find((m) => m.labels?.pci === host.vfAddress('eth0', 0))?.labels).toMatchObject({ domain: 'web1', driver: 'vfio-pci', counted_by: 'none' });
    expect(info.find((m) => m.labels?.pci === host.vfAddress('eth0', 1))?.labels).toMatchObject({ domain: '', counted_by: 'netdev' });
    expect(info).toHaveLength(5);
    // broadcasts are the PF's count: a netdev has none, so no sample rather than a zero
    expect(family(text, 'virt_sriov_vf_receive_broadcast_total')!.metrics.map((m) => m.labels?.pf)).toEqual(['ens1f0', 'ens1f0', 'ens1f0']);
  });

  test('only a running guest owns traffic: a defined domain naming a VF gives it no domain label', async () => {
    const text = await scene();
    const spare = family(text, 'virt_sriov_vf_info')!.metrics.find((m) => m.labels?.pci === host.vfAddress('ens1f0', 2));
    expect(spare?.labels?.domain).toBe('');
  });

  test('VFs per PF: supported, created, held by running guests', async () => {
    const text = await scene();
    const per = (name: string) => Object.fromEntries(family(text, name)!.metrics.map((m) => [m.labels!.pf, m.value]));
    expect(per('virt_sriov_pf_vfs_supported')).toEqual({ eth0: '7', ens1f0: '7' });
    expect(per('virt_sriov_pf_vfs_created')).toEqual({ eth0: '2', ens1f0: '3' });
    expect(per('virt_sriov_pf_vfs_held')).toEqual({ eth0: '1', ens1f0: '1' });
  });

  test("the live settings of each held VF as info labels, empty where the driver reports nothing", async () => {
    const text = await scene();
    const settings = family(text, 'virt_sriov_vf_settings_info')!.metrics;
    expect(settings.map((m) => m.labels!.domain).sort()).toEqual(['fw1', 'web1']);
    expect(settings.find((m) => m.labels!.domain === 'fw1')).toEqual({
      value: '1',
      labels: {
        pf: 'ens1f0', vf: '1', pci: '0000:3b:10.2', domain: 'fw1', mac: '52:54:00:fe:00:01', vlan: '403', qos: '0', spoofchk: 'on', trust: 'on',
        link_state: 'auto', min_tx_rate_mbps: '0', max_tx_rate_mbps: '1000', query_rss: '',
      },
    });
  });

  test('hook calls by hook, operation and result, and their durations as a histogram; replays left out', async () => {
    const text = await scene();
    const calls = family(text, 'virt_sriov_hook_calls_total')!.metrics.map((m) => `${m.labels!.hook} ${m.labels!.operation} ${m.labels!.result} ${m.value}`);
    expect(calls.filter((c) => !c.endsWith(' 0')).sort()).toEqual(['network port-created ok 1', 'qemu prepare ok 1', 'qemu start ok 1', 'qemu start refused 1']);
    // every result of each operation seen is there from the start, at 0: a first failure then shows in increase()
    expect(calls.filter((c) => c.startsWith('qemu prepare ')).sort()).toEqual(['qemu prepare failed 0', 'qemu prepare ignored 0', 'qemu prepare ok 1', 'qemu prepare refused 0']);
    // (parse-prometheus-text-format merges a histogram's label sets: its lines are read as written, promtool checked them)
    const start = text.split('\n').filter((l) => l.startsWith('virt_sriov_hook_duration_seconds') && l.includes('operation="start"'));
    expect(start).toEqual([
      ...HOOK_DURATION_BUCKETS.map((le) => `virt_sriov_hook_duration_seconds_bucket{hook="qemu",operation="start",le="${le}"} ${le >= 5 ? 2 : le >= 0.5 ? 1 : 0}`),
      'virt_sriov_hook_duration_seconds_bucket{hook="qemu",operation="start",le="+Inf"} 2',
      'virt_sriov_hook_duration_seconds_sum{hook="qemu",operation="start"} 3.52',
      'virt_sriov_hook_duration_seconds_count{hook="qemu",operation="start"} 2',
    ]);
  });

  test('log lines that are JSON but no entry (null, a number, a string, no hook) count for nothing', () => {
    const text = ['null', '5', '"x"', '{"op":"start"}', '{"hook":"qemu","op":7}', JSON.stringify(entry({}))].join('\n');
    const [calls, hist] = hookMetrics(parseLogLines(text));
    expect(calls!.samples.filter((s) => s.value > 0)).toEqual([{ labels: { hook: 'qemu', operation: 'prepare', result: 'ok' }, value: 1 }]);
    expect(hist!.samples.find((s) => s.suffix === '_count')!.value).toBe(1);
  });

  test('bucket counts are cumulative and end in the call count, whatever the durations', () => {
    const ms = [0, 1, 49, 50, 51, 999, 1000, 60_000, 12.5];
    const [, hist] = hookMetrics(ms.map((durationMs) => entry({ durationMs })));
    const buckets = hist!.samples.filter((s) => s.suffix === '_bucket').map((s) => s.value);
    expect(buckets).toHaveLength(HOOK_DURATION_BUCKETS.length + 1);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    expect(buckets.at(-1)).toBe(ms.length);
    expect(buckets[0]).toBe(ms.filter((m) => m <= 50).length);
  });

  test('drift the watcher repaired, by domain, VF and setting, counted from the log; every setting of a held VF at 0 until it drifts', async () => {
    const repaired = (object: string, pf: string, vf: number, settings: string[], e: Partial<HookLogEntry> = {}) =>
      entry({ hook: 'watch', op: 'pf-up', subop: 'ens1f0', object, repaired: [{ pf, vf, pci: '', settings }], ...e });
    const log = [
      repaired('fw1', 'ens1f0', 1, ['vlan', 'trust']), repaired('fw1', 'ens1f0', 1, ['vlan']), repaired('fw1', 'ens1f0', 1, ['maxTxRate', 'linkState']),
      // a guest gone since: its repairs stay counted (the log is the record)
      repaired('old', 'eth0', 1, ['vlan']),
      // not the watcher's, a replay, or a line someone edited: nothing
      repaired('fw1', 'ens1f0', 1, ['vlan'], { hook: 'cli' }), repaired('fw1', 'ens1f0', 1, ['vlan'], { replay: true }),
      entry({ hook: 'watch', object: 'fw1', repaired: [null, { pf: 'ens1f0' }, 'x'] as never }), entry({ hook: 'watch', object: 'fw1', repaired: 'vlan' as never }),
    ];
    const text = await scene(log);
    expect(promtool(text)).toEqual({ code: 0, out: '' });
    const drift = family(text, 'virt_sriov_drift_repaired_total')!;
    expect(drift.type).toBe('COUNTER');
    const counted = drift.metrics.filter((m) => m.value !== '0').map((m) => `${m.labels!.domain} ${m.labels!.pf} vf ${m.labels!.vf} ${m.labels!.setting} ${m.value}`);
    expect(counted.sort()).toEqual(['fw1 ens1f0 vf 1 link_state 1', 'fw1 ens1f0 vf 1 max_tx_rate 1', 'fw1 ens1f0 vf 1 trust 1', 'fw1 ens1f0 vf 1 vlan 2', 'old eth0 vf 1 vlan 1']);
    // the held VFs (fw1's and web1's), each setting there from the start
    const zeros = drift.metrics.filter((m) => m.value === '0').map((m) => `${m.labels!.domain} ${m.labels!.setting}`);
    expect(zeros.filter((z) => z.startsWith('web1 ')).sort()).toEqual(Object.values(DRIFT_SETTING_LABELS).map((l) => `web1 ${l}`).sort());
    expect(zeros.filter((z) => z.startsWith('fw1 ')).sort()).toEqual(['fw1 mac', 'fw1 min_tx_rate', 'fw1 query_rss', 'fw1 spoofchk']);
    expect(drift.metrics.every((m) => Object.keys(m.labels!).join() === 'domain,pf,vf,setting')).toBe(true);
  });

  test('every setting the state knows has its drift label, in the words of virt_sriov_vf_settings_info', () => {
    expect(Object.keys(DRIFT_SETTING_LABELS).sort()).toEqual([...SNAPSHOT_KEYS].sort());
    expect(driftMetric([], []).samples).toEqual([]);
  });

  test('a host with no PF and no hook call yet: every family still says what it is, and promtool agrees', () => {
    const text = renderExposition(buildMetrics({ host: { pfs: [] }, holders: new Map(), log: [] }));
    expect(text).toMatch(/^# HELP virt_sriov_vf_info /);
    expect(promtool(text).code).toBe(0);
  });

  test('label values are escaped: a domain name with a quote, a backslash and a newline parses back as it was', () => {
    const text = renderExposition([{ name: 'x_info', help: 'a \\ b\nc', type: 'gauge', samples: [{ labels: { domain: 'we"b\\1\nx' }, value: 1 }] }]);
    expect(parse(text)[0]).toMatchObject({ help: 'a \\ b\nc', metrics: [{ labels: { domain: 'we"b\\1\nx' }, value: '1' }] });
    expect(promtool(text).code).toBe(0);
  });
});

describe('docs/metrics.md', () => {
  test('names every metric virt-sriov emits, and every label of the VF series', async () => {
    const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    const text = await scene();
    const names = parse(text).map((f) => f.name);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(doc).toContain(`\`${name}\``);
    for (const label of ['pf', 'vf', 'pci', 'domain', 'mac', 'counted_by', 'driver', 'vlan', 'trust', 'hook', 'operation', 'result', 'setting']) expect(doc).toContain(`\`${label}\``);
  });
});
