/**
 * Timing and counting. A command is { label, file, args, input?, env?, before?() }: `before`
 * runs unmeasured before every run of it (reset a fake host, run a hook's prepare). Compared
 * commands run interleaved, one run of each in turn (the order rotated each round), so a noisy
 * moment costs every command alike; each figure is a median, each ratio the median of the
 * per-round ratios of runs made side by side.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN;
};
export const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const loadSamples = [];
export function sampleLoad() {
  const l = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  loadSamples.push(l);
  return l;
}
export function loadSummary() {
  return { samples: loadSamples.length, min: Math.min(...loadSamples), median: median(loadSamples), max: Math.max(...loadSamples) };
}

let timer = null;
/** A `timed` binary (lib/timed.c): wall time from inside, and CPU time of the command and its children. */
export function useTimer(path) {
  timer = path;
}

/**
 * One run: { ms: wall, cpuMs: user+sys of it and the children it waited for (null without the
 * timer) }. Throws on an exit code other than the command's `exitCode` (0).
 */
export function runOnce(cmd) {
  cmd.before?.();
  const argv = [cmd.file, ...(cmd.args ?? [])];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(timer ?? argv[0], timer ? argv : argv.slice(1), {
    input: cmd.input ?? '', env: cmd.env ?? process.env, maxBuffer: 64 << 20, encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let cpuMs = null;
  let status = r.status;
  if (r.error) throw new Error(`${cmd.label}: ${r.error.message}`);
  if (timer) {
    const m = /^(\d+) (\d+) (\d+) (\d+)/.exec(r.output[3] ?? '');
    if (!m || r.status !== 0) throw new Error(`${cmd.label}: the timer failed (${r.status}): ${r.stderr}`);
    ms = Number(m[1]) / 1000;
    cpuMs = (Number(m[2]) + Number(m[3])) / 1000;
    status = Number(m[4]);
  }
  if (status !== (cmd.exitCode ?? 0)) {
    throw new Error(`${cmd.label}: exit ${status ?? r.signal}\n${argv.join(' ')}\n${r.stderr}${r.stdout.slice(0, 2000)}`);
  }
  cmd.check?.(r);
  return { ms, cpuMs };
}

/**
 * `runs` interleaved rounds of every command (after `warmup` unrecorded rounds).
 * Returns { label: { median, runs: [wall ms...], cpuMedian, cpu: [cpu ms...] } }.
 */
export function interleaved(cmds, { runs = 20, warmup = 2, progress } = {}) {
  const times = Object.fromEntries(cmds.map((c) => [c.label, { runs: [], cpu: [] }]));
  for (let round = -warmup; round < runs; round++) {
    const order = cmds.map((_, i) => cmds[(i + Math.max(round, 0)) % cmds.length]);
    for (const c of order) {
      const { ms, cpuMs } = runOnce(c);
      if (round >= 0) {
        times[c.label].runs.push(ms);
        times[c.label].cpu.push(cpuMs);
      }
    }
    if (round % 5 === 0) sampleLoad();
    progress?.(round);
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, {
    median: median(v.runs), runs: v.runs, cpuMedian: v.cpu[0] === null ? null : median(v.cpu), cpu: v.cpu,
  }]));
}

/** Median of per-round ratios a[i]/b[i] (rounds are side by side); `key` 'cpu' for CPU times. */
export function ratio(result, a, b, key = 'runs') {
  if (!result[a] || !result[b]) return null;
  const ra = result[a][key];
  const rb = result[b][key];
  if (ra[0] === null || rb[0] === null) return null;
  return median(ra.map((x, i) => x / rb[i]));
}

let straceChecked;
function haveStrace() {
  if (straceChecked === undefined) straceChecked = spawnSync('strace', ['-V']).status === 0;
  return straceChecked;
}

/**
 * The processes a command spawns: run once more (unmeasured) under strace -f, counting forks
 * (clone/clone3/fork/vfork without CLONE_THREAD) and successful execve of programs other than
 * the command itself. Returns { processes, execs: {program: n} } or null without strace.
 */
export function countProcesses(cmd, { wrap } = {}) {
  if (!haveStrace()) return null;
  const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-bench-strace-'));
  const out = join(dir, 'trace');
  try {
    const argv = ['-f', '-qq', '-s', '256', '-e', 'trace=execve,clone,clone3,fork,vfork', '-o', out, cmd.file, ...(cmd.args ?? [])];
    runOnce({ ...cmd, label: `${cmd.label} (strace)`, file: 'strace', args: wrap ? wrap(argv) : argv });
    return parseTrace(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseTrace(text) {
  const pending = new Map();
  const calls = [];
  for (const raw of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const [, pid, rest] = m;
    if (rest.endsWith('<unfinished ...>')) {
      pending.set(pid, rest.slice(0, -'<unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      calls.push({ pid, line: (pending.get(pid) ?? `${resumed[1]}(`) + resumed[2] });
      pending.delete(pid);
      continue;
    }
    calls.push({ pid, line: rest });
  }
  let processes = 0;
  const execs = {};
  let first = true;
  for (const { line } of calls) {
    const sys = /^(\w+)\(/.exec(line)?.[1];
    const ret = /=\s*(-?\d+)/.exec(line.slice(line.lastIndexOf(')')))?.[1];
    if (!sys || ret === undefined || Number(ret) < 0) continue;
    if (sys === 'execve') {
      if (first) {
        first = false;
        continue;
      }
      const prog = basename(/^execve\("([^"]*)"/.exec(line)?.[1] ?? '?');
      execs[prog] = (execs[prog] ?? 0) + 1;
    } else if (['clone', 'clone3', 'fork', 'vfork'].includes(sys)) {
      if (!/CLONE_THREAD/.test(line) && Number(ret) > 0) processes++;
    }
  }
  // not even the command's own execve: the trace is not what it should be
  if (first) return null;
  return { processes, execs };
}
