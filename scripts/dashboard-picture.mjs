#!/usr/bin/env node
/**
 * A picture of the Grafana dashboard's panels from a real scrape (issue 18: Grafana is not in
 * Debian, so we look at what its queries give): a fake host whose guests send traffic, scraped
 * every 2 s by a real Prometheus (Debian's `prometheus`) on the watcher's /metrics, then
 * each panel's queries asked of it over the run and plotted with gnuplot to one PNG.
 *
 *   npm run build && node scripts/dashboard-picture.mjs [OUT.png] [--seconds 120]
 *
 * Needs prometheus and gnuplot-nox (apt-get install prometheus gnuplot-nox); runs as any user,
 * on 127.0.0.1 only. Midway one PF's VFs are re-created (their counters start again from zero),
 * so the picture also shows that rates stay sane across a counter reset.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const out = resolve(args.find((a) => a.endsWith('.png')) ?? 'dashboard.png');
const seconds = Number(args[args.indexOf('--seconds') + 1] || 120) || 120;
for (const tool of ['prometheus', 'gnuplot']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed: apt-get install prometheus gnuplot-nox`);
}

const work = mkdtempSync(join(tmpdir(), 'virt-sriov-dashboard-picture-'));
const children = [];
const cleanup = () => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

// the test suite's fake host and fake ip, bundled to plain JS
await build({
  entryPoints: { 'fake-host': 'test/support/fake-host.ts', 'fake-ip': 'test/support/fake-ip-cli.ts', dashboard: 'src/docs/grafana-dashboard.ts', state: 'src/state/state-store.ts' },
  outdir: work, bundle: true, platform: 'node', format: 'esm', target: 'node18', outExtension: { '.js': '.mjs' }, logLevel: 'error',
  // the CommonJS packages inside (proper-lockfile) require node's modules
  banner: { js: "import { createRequire as virtSriovRequire } from 'node:module'; const require = virtSriovRequire(import.meta.url);" },
});
const { FakeHost } = await import(join(work, 'fake-host.mjs'));
const { GRAFANA_DASHBOARD } = await import(join(work, 'dashboard.mjs'));
const { stateStore } = await import(join(work, 'state.mjs'));

// mlx5 counts each VF's traffic; igb counts nothing per VF (its guest is in "VFs no counter sees")
const host = FakeHost.create([
  { name: 'ens1f0', pci: '0000:3b:00.0', driver: 'mlx5_core', numVfs: 4, totalVfs: 16 },
  { name: 'eth0', pci: '0000:01:00.0', numVfs: 2 },
], join(work, 'host'));
const guests = [['ens1f0', 0, 'fw1'], ['ens1f0', 1, 'fw1'], ['ens1f0', 2, 'web1'], ['ens1f0', 3, 'db1'], ['eth0', 0, 'legacy1']];
const hold = () => {
  const store = stateStore(join(work, 'state'));
  for (const [pf, i, name] of guests) {
    host.bindVf(pf, i, 'vfio-pci');
    store.put({ pf, index: i, pci: host.vfAddress(pf, i), owner: { name, uuid: null }, style: 'hostdev', network: null, original: null,
      guest: { mac: `52:54:00:00:${i}0:0${name.length}` }, phase: 'running', updated: new Date().toISOString() });
  }
};
hold();
const log = join(work, 'virt-sriov.log');
writeFileSync(log, '');
const config = join(work, 'config.json');

// /metrics: the watcher's, as a host running virt-sriov-watch with watch.metricsListen serves it
// (its link monitor gets an ip that waits on `monitor`: the fake ip has none)
const ipWithMonitor = join(work, 'ip-with-monitor');
writeFileSync(ipWithMonitor, `#!/bin/sh\ncase " $* " in *" monitor "*) exec sleep 2147483647;; esac\nexec ${host.ipCommand(join(work, 'fake-ip.mjs')).join(' ')} "$@"\n`, { mode: 0o755 });
writeFileSync(config, JSON.stringify({ sysfsRoot: host.sysRoot, stateDir: join(work, 'state'), logFile: log, ipCommand: [ipWithMonitor] }));
const watcher = spawn(process.execPath, ['dist/virt-sriov.mjs', 'watch', '-c', 'test:///default', '--config-file', config, '--metrics-listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
children.push(watcher);
let watcherSaid = '';
watcher.stderr.setEncoding('utf8').on('data', (d) => (watcherSaid += d));
while (!/serving metrics on http:\/\/(127\.0\.0\.1:\d+)\/metrics/.test(watcherSaid)) {
  if (watcher.exitCode !== null) throw new Error(`the watcher ended: ${watcherSaid}`);
  await new Promise((r) => setTimeout(r, 100));
}
const target = /serving metrics on http:\/\/(127\.0\.0\.1:\d+)\/metrics/.exec(watcherSaid)[1];
const promPort = 19090 + Math.floor(Math.random() * 900);
writeFileSync(join(work, 'prometheus.yml'), `global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\nscrape_configs:\n  - job_name: virt-sriov\n    static_configs:\n      - targets: ['${target}']\n`);
mkdirSync(join(work, 'data'));
children.push(spawn('prometheus', [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' }));

// traffic: each guest at its own pace, waves, drops now and then; the hooks' calls in the log
const start = Date.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pace = { fw1: 40e6, web1: 12e6, db1: 3e6, legacy1: 20e6 };
let reset = false;
let drifted = false;
// the watcher's log line for drift it repaired (the counts come from the log, as on a real host)
const repaired = (object, vfs) => appendFileSync(log, JSON.stringify({ time: new Date().toISOString(), hook: 'watch', op: 'pf-up ens1f0', subop: 'live', object,
  result: 'ok', durationMs: 40, vfs: [], changes: [], notes: [], repaired: vfs.map(([pf, vf, settings]) => ({ pf, vf, pci: host.vfAddress(pf, vf), settings })) }) + '\n');
while (Date.now() - start < seconds * 1000) {
  const t = (Date.now() - start) / 1000;
  for (const [pf, i, name] of guests) {
    const bytes = Math.round(pace[name] * (1 + 0.6 * Math.sin(t / 15 + i)) / (i === 1 ? 3 : 1));
    host.countTraffic(pf, i, { rxBytes: bytes, rxPackets: Math.round(bytes / 900), txBytes: Math.round(bytes / 2.5), txPackets: Math.round(bytes / 2000),
      rxDropped: name === 'web1' && t > seconds / 3 && t < seconds / 2 ? 40 : 0 });
  }
  if (Math.floor(t) % 7 === 0) {
    const failed = t > seconds * 0.6 && t < seconds * 0.7;
    appendFileSync(log, JSON.stringify({ time: new Date().toISOString(), hook: 'qemu', op: 'start', subop: 'begin', object: 'fw1', result: failed ? 'refused' : 'ok',
      durationMs: 150 + Math.round(Math.random() * 300), vfs: [], changes: [], notes: [] }) + '\n');
  }
  if (!drifted && t > seconds * 0.3) {
    // someone's `ip link set ens1f0 vf 3 vlan 7`: the watcher puts db1's VLAN back
    drifted = true;
    repaired('db1', [['ens1f0', 3, ['vlan']]]);
  }
  if (!reset && t > seconds / 2) {
    // VFs re-created: every counter of ens1f0 starts again from zero, and the new VFs have lost
    // their guests' MACs, which the watcher puts back
    reset = true;
    for (const [pf, i] of guests) if (pf === 'ens1f0') host.bindVf(pf, i, 'mlx5_core');
    host.setNumVfs('ens1f0', 0);
    host.setNumVfs('ens1f0', 4);
    hold();
    repaired('fw1', [['ens1f0', 0, ['mac']], ['ens1f0', 1, ['mac']]]);
    repaired('web1', [['ens1f0', 2, ['mac']]]);
    repaired('db1', [['ens1f0', 3, ['mac']]]);
  }
  await sleep(1000);
}
await sleep(3000);

// every panel's queries over the run, as Grafana would ask them (a 10 s rate interval: 5 scrapes)
const end = Date.now() / 1000;
const query = async (expr) => {
  const url = new URL(`http://127.0.0.1:${promPort}/api/v1/query_range`);
  Object.entries({ query: expr, start: String(start / 1000 + 10), end: String(end), step: '2' }).forEach(([k, v]) => url.searchParams.set(k, v));
  const body = await (await fetch(url)).json();
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
};
const plots = [];
for (const panel of GRAFANA_DASHBOARD.panels) {
  if (panel.type === 'table') continue;
  const series = [];
  for (const t of panel.targets) {
    const expr = t.expr.replaceAll('$__rate_interval', '10s').replaceAll('$instance', '.*');
    for (const r of await query(expr)) {
      const legend = (t.legendFormat ?? '{{__name__}}').replace(/\{\{(\w+)\}\}/g, (_, l) => r.metric[l] ?? '');
      const file = join(work, `s${plots.length}-${series.length}.dat`);
      writeFileSync(file, r.values.map(([ts, v]) => `${ts - start / 1000} ${v}`).join('\n') + '\n');
      series.push({ file, legend: legend || 'value' });
    }
  }
  plots.push({ title: `${panel.title} (${panel.fieldConfig?.defaults?.unit ?? ''})`, series });
  console.log(`${panel.title}: ${series.length} series`);
}
const rows = Math.ceil(plots.length / 2);
const gp = [
  // noenhanced: a label's underscore (link_state) is no subscript
  `set terminal pngcairo noenhanced size 1600,${rows * 330} font 'sans,9'`, `set output '${out}'`, `set multiplot layout ${rows},2`,
  'set key outside right top', 'set xlabel "seconds"', 'set grid', 'set format y "%.3s%c"',
  // as Grafana draws them: the whole run on every panel, from zero up (the panels' min: 0)
  `set xrange [0:${Math.ceil(end - start / 1000)}]`, 'set yrange [0:*]',
  ...plots.flatMap((p) => [`set title ${JSON.stringify(p.title)}`,
    p.series.length ? `plot ${p.series.map((s) => `'${s.file}' using 1:2 with lines lw 2 title ${JSON.stringify(s.legend)}`).join(', ')}` : 'plot 0 lc rgb "white" title "no data"']),
  'unset multiplot',
].join('\n');
execFileSync('gnuplot', [], { input: gp });
console.log(`${out}: ${plots.length} panels from ${Math.round(end - start / 1000)} s of scrapes`);
process.exit(0);
