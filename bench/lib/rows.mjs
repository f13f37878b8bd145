/** The rows of issue 6's benchmark; each returns table lines (see run.mjs for their shape). */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { NODE, PROJECT } from './build.mjs';
import { bigHost, convertDomainXml, hookDomainXml, startIpServer, testDriverNode } from './fixtures.mjs';
import { countProcesses, interleaved, median, parseTrace, ratio, runOnce } from './measure.mjs';

const NODE0 = { label: 'node -e 0', file: NODE, args: ['-e', '0'] };
const shq = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

function writeExecutable(file, text) {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

function readLog(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** A line for the baseline build's run of a command measured beside this build's. */
function baselineLine(r, row, what, label, vs, procs = {}) {
  return { row, case: `  baseline: ${what}`, ms: r[label].median, cpuMs: r[label].cpuMedian, ...(vs ? { vs, ratio: ratio(r, label, vs), cpuRatio: ratio(r, label, vs, 'cpu') } : {}), procs: procs[label] };
}

/**
 * Row 1: the installed hook (the bash entry) on a domain without VFs, against a shell hook that
 * does nothing (`cat >/dev/null`, target 2x) and `node -e 0`; and, side by side, a call the
 * entry hands to node (a domain on a network: node's triage must look closer), against node's
 * hook installed as the hook file itself, as it was before the entry (target: no more).
 */
export function row1(ctx) {
  const dir = join(ctx.work, 'row1');
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'virt-sriov.log');
  ctx.writeConfig({ logFile: log, stateDir: join(dir, 'state') });
  const xml = hookDomainXml('plain', []);
  const netXml = hookDomainXml('net', []).replace('  </devices>', "    <interface type='network'>\n      <mac address='52:54:00:6a:00:01'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>\n  </devices>");
  const shellHook = writeExecutable(join(dir, 'noop-hook'), '#!/bin/sh\ncat >/dev/null\n');
  const hook = (op) => ({ label: `hook ${op}`, file: ctx.install.hooks.qemu, args: ['plain', op, 'begin', '-'], input: xml });
  const work = { label: 'hook work', file: ctx.install.hooks.qemu, args: ['net', 'prepare', 'begin', '-'], input: netXml };
  const nodeWork = { ...work, label: 'node hook work', file: ctx.install.nodeHooks.qemu };
  const cmds = [hook('prepare'), hook('started'), work, nodeWork, NODE0, { label: 'shell hook', file: shellHook, args: ['plain', 'prepare', 'begin', '-'], input: xml }];
  if (ctx.baseline) {
    for (const op of ['prepare', 'started']) cmds.push({ ...hook(op), label: `baseline ${op}`, file: ctx.baseline.hooks.qemu });
    cmds.push({ ...work, label: 'baseline work', file: ctx.baseline.hooks.qemu });
  }
  const r = interleaved(cmds, { runs: ctx.runs });
  const procs = Object.fromEntries(cmds.map((c) => [c.label, countProcesses(c)]));
  const lines = [];
  for (const op of ['prepare', 'started']) {
    const label = `hook ${op}`;
    const ownMs = median(readLog(log).filter((e) => e.op === op && e.object === 'plain').map((e) => e.durationMs));
    lines.push({
      row: 1, case: `qemu ${op}, domain without VFs`, ms: r[label].median, cpuMs: r[label].cpuMedian, vs: 'shell hook', ratio: ratio(r, label, 'shell hook'), cpuRatio: ratio(r, label, 'shell hook', 'cpu'),
      target: 2, procs: procs[label], extra: { vsNode: ratio(r, label, 'node -e 0'), hookOwnMs: ownMs, vsBaseline: ctx.baseline ? ratio(r, label, `baseline ${op}`) : null },
    });
    if (ctx.baseline) lines.push(baselineLine(r, 1, `qemu ${op}, domain without VFs`, `baseline ${op}`, 'node -e 0', procs));
  }
  lines.push({
    row: 1, case: 'qemu prepare, domain on a network (to node)', ms: r['hook work'].median, cpuMs: r['hook work'].cpuMedian, vs: 'node hook', ratio: ratio(r, 'hook work', 'node hook work'), cpuRatio: ratio(r, 'hook work', 'node hook work', 'cpu'),
    target: 1, procs: procs['hook work'], extra: { vsNode: ratio(r, 'hook work', 'node -e 0'), vsBaseline: ctx.baseline ? ratio(r, 'hook work', 'baseline work') : null },
  });
  lines.push({ row: 1, case: '  node hook as the hook file (before the entry), same call', ms: r['node hook work'].median, cpuMs: r['node hook work'].cpuMedian, vs: 'node -e 0', ratio: ratio(r, 'node hook work', 'node -e 0'), cpuRatio: ratio(r, 'node hook work', 'node -e 0', 'cpu'), procs: procs['node hook work'] });
  if (ctx.baseline) lines.push(baselineLine(r, 1, 'qemu prepare, domain on a network', 'baseline work', 'node -e 0', procs));
  lines.push({ row: 1, case: 'node -e 0', ms: r['node -e 0'].median, cpuMs: r['node -e 0'].cpuMedian, procs: procs['node -e 0'] });
  lines.push({ row: 1, case: 'shell hook: cat >/dev/null (floor)', ms: r['shell hook'].median, cpuMs: r['shell hook'].cpuMedian, vs: 'node -e 0', ratio: ratio(r, 'shell hook', 'node -e 0'), cpuRatio: ratio(r, 'shell hook', 'node -e 0', 'cpu'), procs: procs['shell hook'] });
  return { lines, raw: r };
}

/** Classify the fake host's recorded ip calls: reads per PF, write processes, batch lines. */
function ipSummary(calls) {
  const reads = {};
  let writes = 0;
  const lines = [];
  for (const call of calls) {
    // -s (statistics: status, metrics, top) reads as the same read
    const c = call.argv[0] === '-s' ? { ...call, argv: call.argv.slice(1) } : call;
    if (c.argv[0] === '-j' && c.argv[1] === '-batch') {
      // several PFs read by one process: a read of each
      for (const l of c.batch ?? []) reads[l.trim().split(/\s+/)[3]] = (reads[l.trim().split(/\s+/)[3]] ?? 0) + 1;
    } else if (c.argv[0] === '-j') {
      const dev = c.argv[3] === 'dev' ? c.argv[4] : c.argv[3];
      reads[dev] = (reads[dev] ?? 0) + 1;
    } else {
      writes++;
      lines.push(...(c.batch ?? [c.argv.join(' ')]));
    }
  }
  return { reads, writes, lines, calls: calls.length };
}
const describeIp = (s) => `${Object.entries(s.reads).sort(([a], [b]) => a.localeCompare(b)).map(([pf, n]) => `${n} read ${pf}`).join(', ') || '0 reads'}; ${s.writes} write proc${s.writes === 1 ? '' : 's'} (${s.lines.length} cmds)`;

/** The fake `ip` variants a row runs against: the test's (a node process per call) and the fast one. */
async function ipVariants(ctx, host) {
  const variants = [];
  if (ctx.fastIp) {
    const socket = join(host.root, 'ip.sock');
    const server = await startIpServer(NODE, ctx.builds.ipServer, socket, host.root);
    ctx.cleanup.push(server.stop);
    variants.push({ name: 'fast ip', ipCommand: [ctx.builds.fastIp, socket] });
  }
  if (ctx.nodeIp) variants.push({ name: 'node ip', ipCommand: [NODE, ctx.builds.nodeIp, host.root] });
  return variants;
}

/** Row 2: qemu `start` (after an unmeasured `prepare`) with 1, 8 and 8-over-2-PFs VFs, on a fake host. */
export async function row2(ctx) {
  const { FakeHost, igbVfAddress } = ctx.support;
  const dir = join(ctx.work, 'row2');
  mkdirSync(dir, { recursive: true });
  const host = FakeHost.create([
    { name: 'eth1', pci: '0000:01:00.0', totalVfs: 8, numVfs: 8 },
    { name: 'eth2', pci: '0000:02:00.0', totalVfs: 8, numVfs: 8 },
  ], join(ctx.tmp, 'row2-host'));
  const pristine = readFileSync(host.statePath, 'utf8');
  const reset = () => {
    writeFileSync(host.statePath, pristine);
    rmSync(join(dir, 'state'), { recursive: true, force: true });
  };
  const cases = [
    { name: '1 VF', vfs: [igbVfAddress('0000:01:00.0', 0)] },
    { name: '8 VFs, 1 PF', vfs: Array.from({ length: 8 }, (_, i) => igbVfAddress('0000:01:00.0', i)), target: 1.6 },
    { name: '8 VFs, 2 PFs', vfs: [...Array.from({ length: 4 }, (_, i) => igbVfAddress('0000:01:00.0', i)), ...Array.from({ length: 4 }, (_, i) => igbVfAddress('0000:02:00.0', i))], target: 1.6 },
  ];
  const lines = [];
  const raw = {};
  for (const variant of await ipVariants(ctx, host)) {
    const log = join(dir, `virt-sriov-${variant.name.replace(' ', '-')}.log`);
    ctx.writeConfig({ logFile: log, stateDir: join(dir, 'state'), sysfsRoot: host.sysRoot, ipCommand: variant.ipCommand });
    const ipShell = variant.ipCommand.map(shq).join(' ');
    for (const c of cases) {
      const name = `vm${c.vfs.length}`;
      const xml = hookDomainXml(name, c.vfs);
      const prepare = { label: 'prepare', file: ctx.install.hooks.qemu, args: [name, 'prepare', 'begin', '-'], input: xml };
      const start = { label: 'hook start', file: ctx.install.hooks.qemu, args: [name, 'start', 'begin', '-'], input: xml, before: () => { reset(); runOnce(prepare); } };
      // one unmeasured start, to see its ip calls and to write the shell hook that makes them by hand
      start.before();
      const afterPrepare = host.calls().length;
      runOnce({ ...start, before: undefined });
      const ip = ipSummary(host.calls().slice(afterPrepare));
      const shellHook = writeExecutable(join(dir, `by-hand-${name}-${variant.name.replace(' ', '-')}`),
        `#!/bin/sh\n# what an admin's hook does by hand: one ip process per VF command\ncat >/dev/null\n${ip.lines.map((l) => `${ipShell} ${l} || exit 1`).join('\n')}\n`);
      const shell = { label: 'shell hook', file: shellHook, args: [name, 'start', 'begin', '-'], input: xml, before: reset };
      const logStart = readLog(log).length;
      const cmds = [start, shell, NODE0];
      if (ctx.baseline) {
        const basePrepare = { ...prepare, file: ctx.baseline.hooks.qemu };
        cmds.push({ ...start, label: 'baseline start', file: ctx.baseline.hooks.qemu, before: () => { reset(); runOnce(basePrepare); } });
      }
      const r = interleaved(cmds, { runs: ctx.runs });
      const own = median(readLog(log).slice(logStart).filter((e) => e.op === 'start').map((e) => e.durationMs));
      raw[`${variant.name} ${c.name}`] = r;
      const shellIp = (() => { reset(); const n0 = host.calls().length; runOnce(shell); return ipSummary(host.calls().slice(n0)); })();
      lines.push({
        row: 2, case: `start, ${c.name} [${variant.name}]`, ms: r['hook start'].median, cpuMs: r['hook start'].cpuMedian, vs: 'node -e 0', ratio: ratio(r, 'hook start', 'node -e 0'), cpuRatio: ratio(r, 'hook start', 'node -e 0', 'cpu'),
        target: variant.name === 'fast ip' ? c.target : undefined, procs: countProcesses(start), ip: describeIp(ip),
        ipOk: Object.values(ip.reads).every((n) => n <= 1) && ip.writes <= 1,
        extra: { vsShellHook: ratio(r, 'hook start', 'shell hook'), vsBaseline: ctx.baseline ? ratio(r, 'hook start', 'baseline start') : null, hookOwnMs: own, nodeMs: r['node -e 0'].median, ipReads: ip.reads, ipWrites: ip.writes, ipCommands: ip.lines.length },
      });
      if (ctx.baseline) lines.push(baselineLine(r, 2, `start, ${c.name} [${variant.name}]`, 'baseline start', 'node -e 0'));
      lines.push({
        row: 2, case: `  shell hook by hand, ${c.name} [${variant.name}]`, ms: r['shell hook'].median, cpuMs: r['shell hook'].cpuMedian, vs: 'node -e 0', ratio: ratio(r, 'shell hook', 'node -e 0'), cpuRatio: ratio(r, 'shell hook', 'node -e 0', 'cpu'),
        procs: countProcesses(shell), ip: describeIp(shellIp),
      });
    }
  }
  return { lines, raw };
}

/** Row 3: `status --json` with 64, 256 and 1024 VFs over 4 PFs and 200 defined domains (test driver). */
export async function row3(ctx) {
  const { FakeHost, FRESH_VF } = ctx.support;
  const dir = join(ctx.work, 'row3');
  mkdirSync(dir, { recursive: true });
  const sizes = [64, 256, 1024];
  const hosts = sizes.map((n) => ({ n, ...bigHost(FakeHost, FRESH_VF, join(ctx.tmp, `row3-host-${n}`), 4, n / 4) }));
  // 200 domains; 50 name a VF (indexes < 16 of each PF: there in every size)
  const named = Array.from({ length: 50 }, (_, j) => hosts[0].vfAddress(j % 4, j >> 2));
  const node = join(dir, 'node.xml');
  writeFileSync(node, testDriverNode(200, named));
  const uri = `test://${node}`;
  const lines = [];
  const raw = {};
  const variants = [];
  for (const h of hosts) {
    h.pristine = readFileSync(h.host.statePath, 'utf8');
    h.variants = await ipVariants(ctx, h.host);
  }
  for (const [vi, variant] of hosts[0].variants.entries()) {
    const cmds = hosts.map((h) => {
      const config = join(dir, `config-${h.n}-${vi}.json`);
      writeFileSync(config, JSON.stringify({ logFile: join(dir, 'log'), stateDir: join(dir, 'state'), sysfsRoot: h.host.sysRoot, ipCommand: h.variants[vi].ipCommand }));
      return {
        label: `${h.n} VFs`, file: ctx.install.cli, args: ['status', '--json', '-c', uri, '--config-file', config],
        before: () => writeFileSync(h.host.statePath, h.pristine),
        check: (res) => {
          const j = JSON.parse(res.stdout);
          const vfs = j.pfs.reduce((a, p) => a + p.vfs.length, 0);
          const held = j.pfs.flatMap((p) => p.vfs).filter((v) => v.domain).length;
          if (j.pfs.length !== 4 || vfs !== h.n || held !== named.length) throw new Error(`status --json: ${j.pfs.length} PFs, ${vfs} VFs, ${held} held; wanted 4, ${h.n}, ${named.length}`);
          if (res.stderr) throw new Error(`status --json wrote to stderr: ${res.stderr}`);
        },
        host: h,
      };
    });
    {
      // metrics reads what status reads (one ip -s per PF, the domains, the records) plus the hook log
      const big = cmds.find((c) => c.label === '1024 VFs');
      cmds.push({
        ...big, label: 'metrics 1024 VFs', args: big.args.map((a) => (a === 'status' ? 'metrics' : a)).filter((a) => a !== '--json'),
        check: (res) => {
          const info = res.stdout.split('\n').filter((l) => l.startsWith('virt_sriov_vf_info{'));
          if (info.length !== 1024) throw new Error(`metrics: ${info.length} VFs in virt_sriov_vf_info; wanted 1024`);
          if (res.stderr) throw new Error(`metrics wrote to stderr: ${res.stderr}`);
        },
        metrics: true,
      });
    }
    if (vi === 0 && ctx.baseline) cmds.push({ ...cmds.find((c) => c.label === '1024 VFs'), label: 'baseline 1024 VFs', file: ctx.baseline.cli, baseline: true });
    if (vi === 0) {
      // for scale: the same 1024 VFs with libvirt's stock test host (1 domain, naming no VF)
      const big = cmds.find((c) => c.label === '1024 VFs');
      cmds.push({ ...big, label: '1024 VFs, 1 domain', args: big.args.map((a) => (a === uri ? 'test:///default' : a)), check: undefined, info: true });
    }
    const r = interleaved(cmds, { runs: ctx.runs });
    raw[variant.name] = r;
    const big = hosts.find((h) => h.n === 1024);
    const served = await servedScrape(ctx, big, big.variants[vi], uri, dir);
    for (const c of cmds) {
      c.before();
      runOnce({ ...c, before: undefined });
      const ip = ipSummary(c.host.host.calls());
      lines.push({
        row: 3, case: c.baseline ? `  baseline: status --json, 1024 VFs, 4 PFs, 200 domains [${variant.name}]` : c.info ? `  for scale: status --json, 1024 VFs, 4 PFs, test:///default (1 domain) [${variant.name}]` : c.metrics ? `metrics, 1024 VFs, 4 PFs, 200 domains [${variant.name}]` : `status --json, ${c.label}, 4 PFs, 200 domains [${variant.name}]`, ms: r[c.label].median, cpuMs: r[c.label].cpuMedian,
        ...(c.metrics ? { vs: 'status --json, 1024 VFs', ratio: ratio(r, c.label, '1024 VFs'), cpuRatio: ratio(r, c.label, '1024 VFs', 'cpu') } : {}),
        ...(c.info ? { vs: '1024 VFs, 200 domains', ratio: ratio(r, c.label, '1024 VFs'), cpuRatio: ratio(r, c.label, '1024 VFs', 'cpu') } : {}),
        ...(c.label === '1024 VFs' ? { vs: '256 VFs', ratio: ratio(r, '1024 VFs', '256 VFs'), cpuRatio: ratio(r, '1024 VFs', '256 VFs', 'cpu'), target: 4.5, targetMs: variant.name === 'fast ip' ? 300 : undefined, extra: { vsBaseline: r['baseline 1024 VFs'] ? ratio(r, '1024 VFs', 'baseline 1024 VFs') : null } } : {}),
        procs: countProcesses(c), ip: describeIp(ip),
      });
    }
    lines.push(...served);
  }
  return { lines, raw };
}

/** utime + stime of a process and the children it waited for (/proc/PID/stat), in ms. */
function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14-17 of stat(5), counted from the state (field 3) here
  return [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0) * (1000 / CLK_TCK);
}
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function httpGet(port, path) {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject).end();
  });
}

async function until(what, seconds, why) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = what();
    if (v) return v;
    if (Date.now() > end) throw new Error(`waited ${seconds} s for ${why}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Row 3's served scrape: the watcher (`virt-sriov watch --metrics-listen 127.0.0.1:0`) on the
 * 1024-VF host and the 200 domains, scraped over HTTP, round by round beside a one-shot
 * `virt-sriov metrics` with the same config. The watcher first looks at every running guest and
 * takes the 50 VFs the domains name as hot-plugged behind its back (recorded, settings on): the
 * scrapes come after, on that state, and so do the one-shot runs. Both run `ip` through a wrapper
 * that answers the watcher's `ip monitor link` by waiting (the fake ip has no monitor).
 */
async function servedScrape(ctx, h, variant, uri, dir) {
  const slug = variant.name.replace(' ', '-');
  const wrap = writeExecutable(join(dir, `ip-with-monitor-${slug}`),
    `#!/bin/sh\ncase " $* " in *" monitor "*) exec sleep 2147483647;; esac\nexec ${variant.ipCommand.map(shq).join(' ')} "$@"\n`);
  const log = join(dir, `watch-${slug}.log`);
  const stateDir = join(dir, `watch-state-${slug}`);
  rmSync(log, { force: true });
  rmSync(stateDir, { recursive: true, force: true });
  const config = join(dir, `config-watch-${slug}.json`);
  writeFileSync(config, JSON.stringify({ logFile: log, stateDir, sysfsRoot: h.host.sysRoot, ipCommand: [wrap] }));
  writeFileSync(h.host.statePath, h.pristine);
  const child = spawn(ctx.install.cli, ['watch', '-c', uri, '--config-file', config, '--metrics-listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((r) => child.on('exit', r));
  ctx.cleanup.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  try {
    const port = Number(await until(() => /serving metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr)?.[1], 60, `the watcher's /metrics\n${stderr}`));
    await until(() => readLog(log).filter((e) => e.hook === 'watch').length >= 50, 120, `the watcher's first look at the 50 guests with VFs\n${stderr}`);
    const once = { label: 'metrics, one-shot', file: ctx.install.cli, args: ['metrics', '-c', uri, '--config-file', config] };
    const served = [];
    const cpu = [];
    const oneShot = [];
    const oneShotCpu = [];
    for (let round = -2; round < ctx.runs; round++) {
      const c0 = cpuMsOf(child.pid);
      const t0 = process.hrtime.bigint();
      const r = await httpGet(port, '/metrics');
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const c1 = cpuMsOf(child.pid);
      if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}: ${r.body}`);
      const info = r.body.split('\n').filter((l) => l.startsWith('virt_sriov_vf_info{')).length;
      if (info !== 1024) throw new Error(`GET /metrics: ${info} VFs in virt_sriov_vf_info; wanted 1024`);
      const o = runOnce({ ...once, check: round === -2 ? (res) => {
        if (res.stdout !== r.body) throw new Error('virt-sriov metrics and GET /metrics differ on the same host');
      } : undefined });
      if (round >= 0) {
        served.push(ms);
        cpu.push(c1 - c0);
        oneShot.push(o.ms);
        oneShotCpu.push(o.cpuMs);
      }
    }
    return [{
      row: 3, case: `  metrics served by the watcher (GET /metrics), 1024 VFs, 200 domains [${variant.name}]`, ms: median(served), cpuMs: median(cpu),
      vs: 'metrics, one-shot, same config', ratio: median(served.map((s, i) => s / oneShot[i])),
      extra: { oneShotMs: median(oneShot), oneShotCpuMs: oneShotCpu[0] === null ? null : median(oneShotCpu), cpuNote: 'the watcher\'s CPU and its children\'s (/proc/PID/stat, clock ticks)' },
    }];
  } finally {
    child.kill('SIGTERM');
    await exited;
    writeFileSync(h.host.statePath, h.pristine);
  }
}

/** Row 4: `convert` on a domain with 64 SR-IOV devices, against `--version`. */
export async function row4(ctx) {
  const { FakeHost, igbVfAddress } = ctx.support;
  const dir = join(ctx.work, 'row4');
  mkdirSync(dir, { recursive: true });
  const host = FakeHost.create([{ name: 'eth1', pci: '0000:03:00.0', totalVfs: 64, numVfs: 64 }], join(ctx.tmp, 'row4-host'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ logFile: join(dir, 'log'), stateDir: join(dir, 'state'), sysfsRoot: host.sysRoot, ipCommand: [NODE, ctx.builds.nodeIp, host.root] }));
  const file = join(dir, 'vm64.xml');
  writeFileSync(file, convertDomainXml('vm64', Array.from({ length: 64 }, (_, i) => igbVfAddress('0000:03:00.0', i))));
  const converted = (res) => {
    const n = (res.stdout.match(/<interface type='hostdev'/g) ?? []).length;
    if (n !== 64) throw new Error(`convert: ${n} <interface type='hostdev'> in its output, not 64\n${res.stderr}`);
  };
  const cmds = [
    { label: 'convert --to interface', file: ctx.install.cli, args: ['convert', '--to', 'interface', file, '--config-file', config], check: converted },
    { label: 'convert (detects versions)', file: ctx.install.cli, args: ['convert', file, '--config-file', config], check: converted },
    { label: '--version', file: ctx.install.cli, args: ['--version'] },
  ];
  if (ctx.baseline) cmds.push({ ...cmds[0], label: 'baseline convert --to interface', file: ctx.baseline.cli }, { ...cmds[2], label: 'baseline --version', file: ctx.baseline.cli });
  const r = interleaved(cmds, { runs: ctx.runs });
  const lines = cmds.map((c) => {
    const base = c.label.startsWith('baseline ');
    const version = base ? 'baseline --version' : '--version';
    return {
      row: 4, case: `${base ? '  ' : ''}${c.label.endsWith('--version') ? c.label.replace('--version', 'virt-sriov --version') : `${c.label}, 64 VFs`}`,
      ms: r[c.label].median, cpuMs: r[c.label].cpuMedian,
      ...(c.label.endsWith('--version') ? {} : { vs: version, ratio: ratio(r, c.label, version), cpuRatio: ratio(r, c.label, version, 'cpu'), ...(base ? {} : { target: 1.3 }) }),
      ...(ctx.baseline && !base ? { extra: { vsBaseline: ratio(r, c.label, `baseline ${c.label}`) ?? null } } : {}),
      procs: base ? undefined : countProcesses(c),
    };
  });
  return { lines, raw: r };
}

/** Row 5: 64 concurrent `attach` calls on a 64-VF pool, on a private libvirtd (16 domains x 4 NICs). */
export async function row5(ctx) {
  const { FakeHost, igbVfAddress, startPrivateLibvirtd } = ctx.support;
  const dir = join(ctx.tmp, 'row5');
  mkdirSync(dir, { recursive: true });
  const POOL = 64;
  const DOMAINS = 16;
  const host = FakeHost.create([{ name: 'eth1', pci: '0000:03:00.0', totalVfs: POOL, numVfs: POOL }], join(dir, 'pool-host'));
  const config = join(dir, 'config.json');
  const stateDir = join(dir, 'state');
  writeFileSync(config, JSON.stringify({ logFile: join(dir, 'log'), stateDir, sysfsRoot: host.sysRoot, ipCommand: [NODE, ctx.builds.nodeIp, host.root] }));
  const names = Array.from({ length: DOMAINS }, (_, i) => `pool${String(i + 1).padStart(2, '0')}`);
  const files = names.map((n) => {
    const f = join(dir, `${n}.xml`);
    writeFileSync(f, `<domain type='qemu'>\n  <name>${n}</name>\n  <memory unit='MiB'>64</memory>\n  <vcpu>1</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <features><acpi/></features>\n  <devices>\n    <video><model type='none'/></video>\n    <memballoon model='none'/>\n  </devices>\n</domain>\n`);
    return f;
  });
  const daemon = await startPrivateLibvirtd();
  ctx.cleanup.push(() => daemon.stop());
  const t0 = performance.now();
  const fresh = async () => {
    const defined = (await daemon.virshOk('list', '--all', '--name')).split('\n').map((s) => s.trim()).filter(Boolean);
    for (const n of defined) await daemon.virshOk('undefine', n);
    for (const f of files) await daemon.virshOk('define', f);
    rmSync(stateDir, { recursive: true, force: true });
  };
  const attach = async (name) => {
    const a = performance.now();
    const r = await daemon.exec(NODE, [ctx.install.cli, 'attach', name, '--pf', 'eth1', '-c', 'qemu:///system', '--config-file', config], { timeoutMs: 180_000 });
    if (r.exitCode !== 0) throw new Error(`attach ${name}: exit ${r.exitCode}: ${r.stderr}`);
    return { ms: performance.now() - a, vf: /on VF (\S+) \(eth1\)/.exec(r.stdout)?.[1] };
  };
  // processes of one attach, under strace inside the namespace (unmeasured)
  await fresh();
  const trace = join(dir, 'attach.trace');
  const st = await daemon.exec('strace', ['-f', '-qq', '-e', 'trace=execve,clone,clone3,fork,vfork', '-o', trace, NODE, ctx.install.cli, 'attach', names[0], '--pf', 'eth1', '-c', 'qemu:///system', '--config-file', config], { timeoutMs: 60_000 });
  const procs = st.exitCode === 0 && existsSync(trace) ? parseTrace(readFileSync(trace, 'utf8')) : null;
  // one attach alone, for scale
  const single = [];
  const totals = [];
  const slowest = [];
  const perCall = [];
  const rounds = ctx.attachRounds;
  for (let round = 0; round < rounds; round++) {
    await fresh();
    single.push((await attach(names[0])).ms);
    await fresh();
    const a = performance.now();
    const results = await Promise.all(names.flatMap((n) => Array.from({ length: POOL / DOMAINS }, () => attach(n))));
    totals.push(performance.now() - a);
    slowest.push(Math.max(...results.map((r) => r.ms)));
    perCall.push(median(results.map((r) => r.ms)));
    const vfs = new Set(results.map((r) => r.vf));
    if (vfs.size !== POOL) throw new Error(`64 attaches got ${vfs.size} distinct VFs`);
    ctx.progress?.(`row 5: round ${round + 1}/${rounds}: ${Math.round(totals.at(-1))} ms`);
  }
  const wall = performance.now() - t0;
  const lines = [
    { row: 5, case: `64 concurrent attach (${DOMAINS} domains x 4), total`, ms: median(totals), vs: '1 attach alone', ratio: median(totals.map((t, i) => t / single[i])), procs: procs ? { ...procs, note: 'per call' } : null, extra: { rounds, wallMs: wall } },
    { row: 5, case: '  slowest of the 64 calls', ms: median(slowest) },
    { row: 5, case: '  median call of the 64', ms: median(perCall) },
    { row: 5, case: '  1 attach alone (same round)', ms: median(single) },
  ];
  await daemon.stop();
  return { lines, raw: { totals, slowest, perCall, single } };
}

/** Row 6: the hook's own duration for `start` with 2 real VFs, from the lab's artifact. */
export function row6() {
  const file = join(PROJECT, '.lab/out/scenarios/70-cli/hook-start-2vfs.json');
  if (!existsSync(file)) return { lines: [{ row: 6, case: 'lab: hook start, 2 real VFs (own duration, from its log)', ms: null, note: `not measured (no ${file.slice(PROJECT.length + 1)}: run npm run test:lab)` }] };
  const entry = JSON.parse(readFileSync(file, 'utf8'));
  const mtime = statSync(file).mtime.toISOString();
  return { lines: [{ row: 6, case: 'lab: hook start, 2 real VFs (own duration, from its log)', ms: entry.durationMs, note: `one lab run, ${mtime}: ${JSON.stringify(entry)}`, extra: { artifact: file, mtime } }] };
}

/**
 * Row 7: the XML, in one process (bench/lib/xml-bench.ts): virt-sriov's own parts (parseXml's
 * one saxes pass with source forms, readXml, the serializer, status's scan) beside
 * @xmldom/xmldom on the same texts, and what each bound of document.ts takes to refuse a
 * document libvirt never writes (the speed test/unit/xml/document.test.ts leaves to the bench).
 * Then a node process that parses the start XML once with each parser, interleaved against
 * `node -e 0`: the start-up a hook with work pays for its parser.
 */
export async function row7(ctx) {
  const { measureXml } = await import(ctx.builds.xml);
  const { FakeHost, FRESH_VF, igbVfAddress } = ctx.support;
  const start = hookDomainXml('plain', []);
  const vm64 = convertDomainXml('vm64', Array.from({ length: 64 }, (_, i) => igbVfAddress('0000:03:00.0', i)));
  const { vfAddress } = bigHost(FakeHost, FRESH_VF, join(ctx.tmp, 'row7-host'), 4, 16);
  const named = Array.from({ length: 50 }, (_, j) => vfAddress(j % 4, j >> 2));
  // status reads each defined domain: 200 of them, as row 3 defines them, one in four naming a VF
  const domains = testDriverNode(200, named).match(/ {2}<domain[\s\S]*?<\/domain>\n/g).map((d) => d.replace(/^ {2}/gm, ''));
  const lines = measureXml({ start, vm64, domains }, ctx.runs).map((c) => ({ row: 7, case: c.label, ms: null, cpuMs: c.cpuMs, note: c.note }));
  const once = (label, file) => ({ label, file: NODE, args: [file], input: start });
  const cmds = [once('light', ctx.builds.xmlOnce.light), once('xmldom', ctx.builds.xmlOnce.xmldom), NODE0];
  const r = interleaved(cmds, { runs: ctx.runs, progress: ctx.progress });
  for (const [label, what] of [['light', 'saxes + light DOM'], ['xmldom', '@xmldom/xmldom']]) {
    lines.push({
      row: 7, case: `node process: load ${what}, parse the start XML once`, ms: r[label].median, cpuMs: r[label].cpuMedian,
      vs: 'node -e 0', ratio: ratio(r, label, 'node -e 0'), cpuRatio: ratio(r, label, 'node -e 0', 'cpu'),
    });
  }
  lines.push({ row: 7, case: '  node -e 0', ms: r['node -e 0'].median, cpuMs: r['node -e 0'].cpuMedian });
  return { lines, raw: r };
}

/**
 * Row 8: the watcher (issue 16), from libvirt's device-added event to a settled VF, in one
 * process (bench/lib/watch-bench.ts): the watcher's loop and its look at the guest, on a fake
 * host, against the in-process fake ip and, where built, the fast fake ip client (a process per
 * call, as the real ip is). A hot-plugged VF, and a held VF's drift repaired. The flock(1) the
 * `vfs` lock takes is a real process in both.
 */
export async function row8(ctx) {
  const { measureWatch } = await import(ctx.builds.watch);
  const lines = [];
  const raw = {};
  const variants = [{ name: 'in-process ip', ipFor: async () => null }];
  if (ctx.fastIp) {
    variants.push({
      name: 'fast ip client',
      ipFor: async (root) => {
        const socket = join(root, 'ip.sock');
        const server = await startIpServer(NODE, ctx.builds.ipServer, socket, root);
        ctx.cleanup.push(server.stop);
        return [ctx.builds.fastIp, socket];
      },
    });
  }
  for (const v of variants) {
    ctx.progress(`row 8: ${v.name}`);
    const cases = await measureWatch(ctx.runs, ctx.tmp, PROJECT, v.ipFor);
    raw[v.name] = cases;
    for (const c of cases) {
      const sorted = [...c.samples].sort((a, b) => a - b);
      lines.push({ row: 8, case: `watch, ${v.name}: ${c.label}`, ms: median(c.samples), note: `min ${sorted[0].toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)} ms over ${sorted.length}` });
    }
  }
  return { lines, raw };
}
