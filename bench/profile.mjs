#!/usr/bin/env node
/**
 * Where the time goes: CPU profiles (node --cpu-prof) of the calls the bench measures, summed
 * over N runs and read back through source maps to source files and lines.
 * `node bench/profile.mjs [--runs N] [--only hook-prepare,hook-start,status,convert,version] [--top K]`
 *
 * The code profiled is scripts/build.mjs's own output (built again under bench/.build/prof with
 * source maps, dist/ untouched), baked as install.sh bakes it. Prints, per call: wall and
 * profiled ms per run, the top self-time functions and the top source files/packages.
 * Writes bench/.build/prof/summary.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { BUILD, NODE, PROJECT, bakeInstall, buildSupport, buildWithMaps } from './lib/build.mjs';
import { bigHost, convertDomainXml, hookDomainXml, startIpServer, testDriverNode } from './lib/fixtures.mjs';
import { median, round, runOnce } from './lib/measure.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const runs = Number(opt('--runs', 20));
const top = Number(opt('--top', 15));
const only = new Set(opt('--only', 'hook-prepare,hook-start,status,convert,version').split(','));
const say = (m) => process.stderr.write(`profile: ${m}\n`);

const OUT = join(BUILD, 'prof');
say('building scripts/build.mjs with source maps into bench/.build/prof');
const dist = buildWithMaps(join(OUT, 'build'));
const builds = await buildSupport();
const support = await import(builds.support);
const tmp = mkdtempSync(join(tmpdir(), 'virt-sriov-prof-'));
const configPath = join(OUT, 'config.json');
const install = bakeInstall(configPath, join(tmp, 'hooks'), { dist, root: join(OUT, 'install') });
// baked file -> [its source map, lines the bake added before the bundle's second line]
const maps = new Map([
  ...['qemu'].map((h) => [install.nodeHooks[h], [join(dist, 'hooks', `${h}.cjs.map`), 1]]),
  [install.cli, [join(dist, 'virt-sriov.mjs.map'), 1]],
  ...(install.operations ? [[install.operations, [`${join(dist, 'hooks', basename(install.operations))}.map`, 0]]] : []),
  // the CLI's bundle, beside its entry (builds since the code cache)
  ...readdirSync(dirname(install.cli)).filter((f) => f.endsWith('.cjs')).map((f) => [join(dirname(install.cli), f), [join(dist, `${f}.map`), 0]]),
]);
const cleanup = [];

// ---- the calls ----
const targets = [];
const work = join(OUT, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
if (only.has('hook-prepare')) {
  targets.push({
    name: 'hook-prepare', what: 'qemu hook prepare, domain without VFs (row 1)', file: install.nodeHooks.qemu, args: ['plain', 'prepare', 'begin', '-'], input: hookDomainXml('plain', []),
    config: { logFile: join(work, 'log'), stateDir: join(work, 'state') },
  });
}
if (only.has('hook-start')) {
  const host = support.FakeHost.create([{ name: 'eth1', pci: '0000:01:00.0', totalVfs: 8, numVfs: 8 }], join(tmp, 'host'));
  const pristine = readFileSync(host.statePath, 'utf8');
  const socket = join(host.root, 'ip.sock');
  const server = await startIpServer(NODE, builds.ipServer, socket, host.root);
  cleanup.push(server.stop);
  const xml = hookDomainXml('vm8', Array.from({ length: 8 }, (_, i) => support.igbVfAddress('0000:01:00.0', i)));
  const prepare = { label: 'prepare', file: install.nodeHooks.qemu, args: ['vm8', 'prepare', 'begin', '-'], input: xml };
  targets.push({
    name: 'hook-start', what: 'qemu hook start, 8 VFs on 1 PF, fast fake ip (row 2)', file: install.nodeHooks.qemu, args: ['vm8', 'start', 'begin', '-'], input: xml,
    config: { logFile: join(work, 'log'), stateDir: join(work, 'state8'), sysfsRoot: host.sysRoot, ipCommand: [builds.fastIp, socket] },
    before: () => {
      writeFileSync(host.statePath, pristine);
      rmSync(join(work, 'state8'), { recursive: true, force: true });
      runOnce(prepare);
    },
  });
}
if (only.has('status')) {
  const { host, vfAddress } = bigHost(support.FakeHost, support.FRESH_VF, join(tmp, 'big'), 4, 256);
  const socket = join(host.root, 'ip.sock');
  const server = await startIpServer(NODE, builds.ipServer, socket, host.root);
  cleanup.push(server.stop);
  const node = join(work, 'node.xml');
  writeFileSync(node, testDriverNode(200, Array.from({ length: 50 }, (_, j) => vfAddress(j % 4, j >> 2))));
  const config = join(work, 'status.json');
  writeFileSync(config, JSON.stringify({ logFile: join(work, 'log'), stateDir: join(work, 'state'), sysfsRoot: host.sysRoot, ipCommand: [builds.fastIp, socket] }));
  targets.push({ name: 'status', what: 'status --json, 1024 VFs, 200 domains, fast fake ip (row 3)', file: install.cli, args: ['status', '--json', '-c', `test://${node}`, '--config-file', config] });
}
if (only.has('convert')) {
  const host = support.FakeHost.create([{ name: 'eth1', pci: '0000:03:00.0', totalVfs: 64, numVfs: 64 }], join(tmp, 'conv'));
  const file = join(work, 'vm64.xml');
  writeFileSync(file, convertDomainXml('vm64', Array.from({ length: 64 }, (_, i) => support.igbVfAddress('0000:03:00.0', i))));
  const config = join(work, 'convert.json');
  writeFileSync(config, JSON.stringify({ logFile: join(work, 'log'), stateDir: join(work, 'state'), sysfsRoot: host.sysRoot }));
  targets.push({ name: 'convert', what: 'convert --to interface, 64 VFs (row 4)', file: install.cli, args: ['convert', '--to', 'interface', file, '--config-file', config] });
}
if (only.has('version')) {
  targets.push({ name: 'version', what: 'virt-sriov --version (the CLI\'s floor, rows 3 and 4)', file: install.cli, args: ['--version'] });
}

// ---- profiles -> self time by function and by file ----
const sourceMaps = new Map();
function mapFor(url) {
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const m = maps.get(path);
  if (!m) return null;
  if (!sourceMaps.has(path)) sourceMaps.set(path, { sm: new SourceMap(JSON.parse(readFileSync(m[0], 'utf8'))), offset: m[1], dir: resolve(m[0], '..') });
  return sourceMaps.get(path);
}
const sourceLines = new Map();
function lineOf(file, line) {
  if (!sourceLines.has(file)) {
    try { sourceLines.set(file, readFileSync(file, 'utf8').split('\n')); } catch { sourceLines.set(file, []); }
  }
  return (sourceLines.get(file)[line] ?? '').trim().slice(0, 70);
}
/** Where a profile frame is: { fn: 'file:line code', file: 'src/xml/dom.ts' or 'node_modules/zod' or 'node:internal/...' }. */
function place(cf) {
  if (!cf.url) return { fn: cf.functionName || '(anonymous)', file: cf.functionName || '(native)' };
  const m = mapFor(cf.url);
  if (m) {
    const e = m.sm.findEntry(cf.lineNumber - m.offset, cf.columnNumber);
    if (e?.originalSource) {
      const abs = resolve(m.dir, e.originalSource);
      const rel = relative(PROJECT, abs);
      const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel)?.[1];
      return { fn: `${rel}:${e.originalLine + 1} ${lineOf(abs, e.originalLine)}`, file: pkg ? `node_modules/${pkg}` : rel };
    }
    // no source: esbuild's own code, mostly its __commonJS/__esm wrappers, whose self time is
    // compiling and running the top level of the bundled modules they wrap
    const name = new URL(cf.url).pathname.split('/').pop();
    return { fn: `(esbuild module wrappers: compile + init of bundled modules) ${name}:${cf.lineNumber}:${cf.columnNumber}`, file: `(esbuild module wrappers) ${name}` };
  }
  const url = cf.url.startsWith('file://') ? relative(PROJECT, new URL(cf.url).pathname) : cf.url;
  return { fn: `${cf.functionName || '(anonymous)'} ${url}:${cf.lineNumber + 1}`, file: url.startsWith('node:') ? url.split('/').slice(0, 3).join('/') : url };
}

const summary = {};
try {
  for (const t of targets) {
    writeFileSync(configPath, JSON.stringify(t.config ?? {}));
    const dir = join(OUT, 'profiles', t.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const walls = [];
    for (let i = 0; i < runs; i++) {
      walls.push(runOnce({ label: t.name, file: NODE, args: ['--cpu-prof', '--cpu-prof-dir', dir, t.file, ...t.args], input: t.input, before: t.before }).ms);
    }
    const byFn = new Map();
    const byFile = new Map();
    let total = 0;
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    for (const f of files) {
      const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const nodes = new Map(p.nodes.map((n) => [n.id, n]));
      const self = new Map();
      p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
      for (const [id, us] of self) {
        const { fn, file } = place(nodes.get(id).callFrame);
        byFn.set(fn, (byFn.get(fn) ?? 0) + us);
        byFile.set(file, (byFile.get(file) ?? 0) + us);
        total += us;
      }
    }
    const per = (us) => round(us / 1000 / files.length, 1);
    const rank = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ ms: per(us), share: `${round((100 * us) / total, 0)}%`, where: k }));
    summary[t.name] = { what: t.what, runs: files.length, wallMs: round(median(walls)), profiledMs: per(total), byFunction: rank(byFn), byFile: rank(byFile) };
    const s = summary[t.name];
    console.log(`\n== ${t.what}: wall ${s.wallMs} ms (median of ${runs}, with the profiler on), profiled ${s.profiledMs} ms per run`);
    console.log(`-- top self time by source file / package (ms per run)`);
    for (const r of s.byFile) console.log(`${String(r.ms).padStart(7)}  ${r.share.padStart(4)}  ${r.where}`);
    console.log(`-- top self time by function (ms per run)`);
    for (const r of s.byFunction) console.log(`${String(r.ms).padStart(7)}  ${r.share.padStart(4)}  ${r.where}`);
  }
} finally {
  for (const f of cleanup) f();
  rmSync(tmp, { recursive: true, force: true });
}
writeFileSync(join(OUT, 'summary.json'), JSON.stringify(summary, null, 1));
console.log(`\nprofiles: bench/.build/prof/profiles/*/ (open in Chrome DevTools); summary: bench/.build/prof/summary.json`);
