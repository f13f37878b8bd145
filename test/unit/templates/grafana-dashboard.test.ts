import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRAFANA_DASHBOARD, grafanaDashboardJson } from '../../../src/docs/grafana-dashboard.js';
import { readHost } from '../../../src/host/host-model.js';
import { buildMetrics } from '../../../src/traffic/metrics.js';
import { FakeHost } from '../../support/fake-host.js';

const FILE = new URL('../../../templates/grafana-dashboard.json', import.meta.url);

interface Target { expr: string }
const exprs = (): string[] => (GRAFANA_DASHBOARD.panels ?? []).flatMap((p) => ('targets' in p ? ((p.targets ?? []) as unknown as Target[]).map((t) => t.expr) : []));

/** Every label each metric family carries, from a real `metrics` run: a guest on an mlx5 VF, a hook call. */
let emitted: Map<string, Set<string>>;
let host: FakeHost;
beforeAll(async () => {
  host = FakeHost.create([{ name: 'ens1f0', pci: '0000:3b:00.0', driver: 'mlx5_core', numVfs: 2 }]);
  host.bindVf('ens1f0', 0, 'vfio-pci');
  host.countTraffic('ens1f0', 0, { rxBytes: 10 });
  const model = await readHost(host.sysfs, host.ip, ['ens1f0'], { traffic: true });
  const families = buildMetrics({
    host: model,
    holders: new Map([[host.vfAddress('ens1f0', 0), { domain: 'fw1', running: true, mac: null, alias: null }]]),
    log: [{ time: '2026-12-05T10:00:00Z', hook: 'qemu', op: 'start', subop: 'begin', object: 'fw1', result: 'failed', durationMs: 5, vfs: [], changes: [], notes: [] }],
  });
  emitted = new Map();
  for (const f of families) {
    for (const s of f.samples) {
      const name = f.name + (s.suffix ?? '');
      const labels = emitted.get(name) ?? new Set<string>();
      for (const l of Object.keys(s.labels)) labels.add(l);
      emitted.set(name, labels);
    }
  }
});
afterAll(() => host?.remove());

describe('templates/grafana-dashboard.json', () => {
  test('is what src/docs/grafana-dashboard.ts (typed by @grafana/schema) says: run `npm run build` after changing it', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(grafanaDashboardJson());
  });

  test('has the panels the issue asks for: traffic per guest, drops, VF usage per PF, hook failures, drift repaired', () => {
    const titles = (GRAFANA_DASHBOARD.panels ?? []).map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['Received per guest', 'Sent per guest', 'Drops per guest', 'VFs per PF', 'Hook failures', 'Drift the watcher repaired']));
  });

  test('every query names metrics `virt-sriov metrics` emits, and only labels they carry', () => {
    expect(exprs().length).toBeGreaterThanOrEqual(10);
    const grafanaOrPrometheus = new Set(['instance', 'job', 'le']);
    for (const expr of exprs()) {
      const names = [...expr.matchAll(/\bvirt_sriov_[a-z0-9_]+/g)].map((m) => m[0]);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect({ expr, name, emitted: emitted.has(name) }).toEqual({ expr, name, emitted: true });
      const known = new Set([...grafanaOrPrometheus, ...names.flatMap((n) => [...emitted.get(n)!])]);
      const used = [
        ...[...expr.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)\s*"/g)].map((m) => m[1]!),
        ...[...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())),
      ];
      for (const label of used) expect({ expr, label, known: known.has(label) }).toEqual({ expr, label, known: true });
    }
  });

  test("Prometheus's own parser accepts every query (promtool check rules, Grafana's variables filled in)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-dashboard-'));
    try {
      const filled = exprs().map((e) => e.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'));
      const rules = `groups:\n  - name: dashboard\n    rules:\n${filled.map((e, i) => `      - record: dashboard:query${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`;
      writeFileSync(join(dir, 'rules.yml'), rules);
      const r = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
      if (r.error) throw new Error(`promtool is not installed (apt-get install prometheus): ${r.error.message}`);
      expect({ code: r.status, out: r.stdout + r.stderr }).toMatchObject({ code: 0, out: expect.stringContaining(`SUCCESS: ${filled.length} rules found`) });
      // and it would say so: a query with a syntax error is refused
      writeFileSync(join(dir, 'bad.yml'), 'groups:\n  - name: x\n    rules:\n      - record: x:y\n        expr: "sum by (domain (rate(virt_sriov_vf_receive_bytes_total[5m]))"\n');
      expect(spawnSync('promtool', ['check', 'rules', join(dir, 'bad.yml')]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
