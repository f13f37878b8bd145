/**
 * What the benchmark runs, made once per run under bench/.build/: the test support code it
 * needs (esbuild, like the tests bundle it), the fast fake `ip` client (gcc), and a snapshot of
 * dist/ baked as install.sh bakes it (so a rebuild of dist/ during a run changes nothing).
 */
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROJECT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
export const BUILD = join(PROJECT, 'bench/.build');
const CONFIG_MARKER = 'VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json';
const OPERATIONS_MARKER = 'VIRT_SRIOV_OPERATIONS_PATH=';
const NODE_MARKER = 'VIRT_SRIOV_NODE_PATH=';

/** The absolute node install.sh would bake (`readlink -f $(command -v node)`). */
export const NODE = realpathSync(process.execPath);

export async function buildSupport() {
  mkdirSync(BUILD, { recursive: true });
  const src = (f) => join(PROJECT, f);
  await build({
    entryPoints: {
      support: src('bench/lib/support.ts'),
      ip: src('test/support/fake-ip-locked-cli.ts'),
      'ip-server': src('bench/lib/ip-server.ts'),
      xml: src('bench/lib/xml-bench.ts'),
      watch: src('bench/lib/watch-bench.ts'),
    },
    outdir: BUILD, outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm', target: 'node18', logLevel: 'error',
    // execa and friends are ESM with a require() here and there
    banner: { js: "import { createRequire as __bcr } from 'node:module'; const require = __bcr(import.meta.url);" },
  });
  // row 7's start-up: one parse per process, each parser in a bundle of its own, as a hook loads it
  await build({
    entryPoints: { 'xml-once-light': src('bench/lib/xml-once-light.ts'), 'xml-once-xmldom': src('bench/lib/xml-once-xmldom.ts') },
    outdir: BUILD, outExtension: { '.js': '.cjs' }, bundle: true, platform: 'node', format: 'cjs', target: 'node18', minify: true, logLevel: 'error',
  });
  let fastIp = null;
  let timed = null;
  const cc = spawnSync('sh', ['-c', 'command -v cc || command -v gcc'], { encoding: 'utf8' }).stdout.trim();
  if (cc) {
    fastIp = join(BUILD, 'fast-ip');
    execFileSync(cc, ['-O2', '-o', fastIp, src('bench/lib/fast-ip.c')]);
    timed = join(BUILD, 'timed');
    execFileSync(cc, ['-O2', '-o', timed, src('bench/lib/timed.c')]);
  }
  return {
    xml: join(BUILD, 'xml.mjs'), xmlOnce: { light: join(BUILD, 'xml-once-light.cjs'), xmldom: join(BUILD, 'xml-once-xmldom.cjs') },
    watch: join(BUILD, 'watch.mjs'), support: join(BUILD, 'support.mjs'), nodeIp: join(BUILD, 'ip.mjs'), ipServer: join(BUILD, 'ip-server.mjs'), fastIp, timed };
}

/** install.sh's `bake`: this node as interpreter, a marker line, the rest of the bundle, the config path written over the marker. */
function bake(src, dst, text) {
  const version = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')).version;
  const lines = readFileSync(src, 'utf8').split('\n').slice(1);
  const body = lines.map((l) => text(l)).join('\n');
  writeFileSync(dst, `#!${NODE}\n// virt-sriov hook (virt-sriov ${version})\n${body}`);
  chmodSync(dst, 0o755);
}

/**
 * Copy dist/ into place: the CLI into BUILD/install/bin (koffi resolves from the project's
 * node_modules, as the installed one does from $libdir/node_modules), the hooks into `hooksDir`,
 * outside the project: under it, node would take a hook file (no extension) for an ES module
 * (the project's package.json says "type": "module"), which an installed hook never is.
 *
 * As install.sh lays them out: the hook files (`hooks`) are the bash entries (dist/hooks/*.bash)
 * with node's path, the config path and where the node code is baked in, beside node's hooks
 * (`<hook>.cjs`) and the operations. `nodeHooks` are node's hooks installed as the hook files
 * themselves, as before the entries (and as builds without entries have only).
 */
export function bakeInstall(configPath, hooksDir, { dist = join(PROJECT, 'dist'), root = join(BUILD, 'install') } = {}) {
  const need = ['virt-sriov.mjs', 'hooks/qemu.cjs', 'hooks/network.cjs', 'hooks/daemon.cjs'];
  const missing = need.filter((f) => !existsSync(join(dist, f)));
  if (missing.length) throw new Error(`dist/ lacks ${missing.join(', ')}: run \`npm run build\` first`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(hooksDir, { recursive: true });
  mkdirSync(join(root, 'bin'), { recursive: true });
  const others = readdirSync(join(dist, 'hooks')).filter((f) => !/^(qemu|network|daemon)\.(cjs|bash)$/.test(f) && !/\.(map|cache)$/.test(f) && !f.startsWith('.'));
  for (const f of others) copyFileSync(join(dist, 'hooks', f), join(hooksDir, f));
  // operations.cjs (loaded through the code cache) or, in builds before it, operations.mjs
  const opsFile = others.find((f) => /^operations\.(c|m)js$/.test(f));
  const operations = opsFile ? join(hooksDir, opsFile) : '';
  const text = (l) => l.replace(CONFIG_MARKER, `VIRT_SRIOV_CONFIG_PATH=${configPath}`).replace(`${NODE_MARKER}'`, `${NODE_MARKER}${NODE}'`)
    .replace(`${OPERATIONS_MARKER}"`, `${OPERATIONS_MARKER}${operations}"`).replace(`${OPERATIONS_MARKER}'`, `${OPERATIONS_MARKER}${operations}'`);
  const nodeHooks = {};
  const hooks = {};
  const files = [];
  for (const h of ['qemu', 'network', 'daemon']) {
    nodeHooks[h] = join(hooksDir, `${h}-node`);
    bake(join(dist, 'hooks', `${h}.cjs`), nodeHooks[h], text);
    const entry = join(dist, 'hooks', `${h}.bash`);
    if (existsSync(entry)) {
      hooks[h] = join(hooksDir, h);
      writeFileSync(hooks[h], readFileSync(entry, 'utf8').split('\n').map(text).join('\n'));
      chmodSync(hooks[h], 0o755);
      writeFileSync(join(hooksDir, `${h}.cjs`), readFileSync(join(dist, 'hooks', `${h}.cjs`), 'utf8').split('\n').map(text).join('\n'));
      files.push(entry);
    } else {
      hooks[h] = nodeHooks[h];
    }
  }
  // the CLI, as install.sh puts it in $libdir/bin (node_modules/koffi resolves from the project's)
  const cli = join(root, 'bin', 'virt-sriov.mjs');
  bake(join(dist, 'virt-sriov.mjs'), cli, (l) => l);
  // the bundle the CLI entry loads (cli.cjs), in builds that have one
  const bundles = readdirSync(dist).filter((f) => f.endsWith('.cjs'));
  for (const f of bundles) copyFileSync(join(dist, f), join(root, 'bin', f));
  files.push(...need.map((f) => join(dist, f)), ...bundles.map((f) => join(dist, f)), ...others.map((f) => join(dist, 'hooks', f)));
  return {
    hooks, nodeHooks, cli, hooksDir, operations,
    dist: Object.fromEntries(files.map((f) => [f.slice(dist.length - 4), { bytes: statSync(f).size, mtime: statSync(f).mtime.toISOString() }])),
  };
}

/** Source files newer than the bundle built from them: the bench would measure stale code. */
export function staleDist() {
  const built = Math.min(...['virt-sriov.mjs', 'hooks/qemu.cjs'].map((f) => statSync(join(PROJECT, 'dist', f)).mtimeMs));
  const newer = [];
  const walk = (d) => {
    for (const e of readdirSync(join(PROJECT, d), { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && statSync(join(PROJECT, p)).mtimeMs > built) newer.push(p);
    }
  };
  for (const d of ['src', 'hooks']) walk(d);
  return newer;
}

/** scripts/build.mjs as it is, output under `out` with source maps (lib/esbuild-redirect.mjs); returns out/dist. */
export function buildWithMaps(out) {
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, ['--import', join(PROJECT, 'bench/lib/esbuild-redirect.mjs'), 'scripts/build.mjs'], {
    cwd: PROJECT, env: { ...process.env, BENCH_BUILD_OUT: out }, stdio: ['ignore', 'inherit', 'inherit'],
  });
  return join(out, 'dist');
}
