// Bundle the CLI and each hook into one file (esbuild): a hook's start-up time is part of
// every guest start, so it loads one file and nothing it does not use.
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  // Debian 12's own nodejs is 18: the installed hooks must run there too.
  target: 'node18',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // koffi has a native part: it stays in node_modules beside the bundle (install.sh copies it)
  external: ['koffi'],
  // proper-lockfile's graceful-fs retries opens that fail with EMFILE, which a hook's handful of
  // files never meet, and loading it copies all of fs and pulls in fs.promises, streams and
  // readline (~5 ms of every hook call): node's own fs instead
  alias: { 'graceful-fs': 'node:fs' },
  define: {
    VIRT_SRIOV_VERSION: JSON.stringify(pkg.version),
    // install.sh rewrites this marker to bake a config path into the installed hooks
    VIRT_SRIOV_CONFIG_MARKER: JSON.stringify('VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json'),
    // ... and where the hooks' operations bundle is (empty: beside the hook file)
    VIRT_SRIOV_OPERATIONS_MARKER: JSON.stringify('VIRT_SRIOV_OPERATIONS_PATH='),
  },
  logLevel: 'warning',
};

// The code of the CLI and of the hooks' operations: CommonJS bundles, loaded by their small
// entries through V8's code cache (src/runtime/code-cache.ts), which node 20 offers only to
// scripts. import.meta.url (templates, koffi) is the bundle's own file URL.
const loaded = {
  ...common,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  define: { ...common.define, 'import.meta.url': '__vsBundle.url' },
  // computed when asked for (templates, koffi): a hook never does, and node:url's work is ~1 ms
  banner: { js: "var __vsBundle = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
};
await build({ ...loaded, entryPoints: { cli: 'src/cli/bundle.ts' }, outdir: 'dist' });

await build({ ...loaded, entryPoints: { operations: 'src/hooks/operations.ts' }, outdir: 'dist/hooks' });

// The CLI's entry: an ES module (installed as virt-sriov.mjs) that loads dist/cli.cjs.
await build({
  ...common,
  entryPoints: { 'virt-sriov': 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  format: 'esm',
  banner: { js: '#!/usr/bin/env node' },
});

// node's hooks: CommonJS (node 18 reads a file without .mjs as CommonJS, and the tests still
// install one as a hook file itself). The installed hook file is the bash entry below, which
// execs one of these only for a call that may have work. Each is small: compiling the XML,
// process and lock libraries is most of a hook's start-up; those live in operations.cjs, loaded
// only when triage finds work.
await build({
  ...common,
  entryPoints: Object.fromEntries(['qemu', 'network', 'daemon'].filter((h) => existsSync(`hooks/${h}.ts`)).map((h) => [h, `hooks/${h}.ts`])),
  outdir: 'dist/hooks',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
});

// The hooks' entries, the files libvirt runs (install.sh installs them as the hooks): bash
// scripts generated from the triage table (src/hooks/entry-script.ts), which answer the calls
// with nothing to do without starting node and exec the bundle above for the others.
const generator = await build({ ...common, entryPoints: ['src/hooks/entry-script.ts'], format: 'esm', minify: false, write: false });
const { entryScript } = await import(`data:text/javascript;base64,${Buffer.from(generator.outputFiles[0].text).toString('base64')}`);
for (const h of ['qemu', 'network', 'daemon']) {
  writeFileSync(`dist/hooks/${h}.bash`, entryScript(h, pkg.version));
  chmodSync(`dist/hooks/${h}.bash`, 0o755);
}
// the facts the entries answer with were written by an earlier build's hooks
rmSync('dist/hooks/.cache/config-facts', { force: true });

// The man pages and the shell completion, written from the CLI's definitions and the config's
// schema (src/docs/): installed by install.sh, and so by the Debian package.
const docs = await build({ ...loaded, entryPoints: ['src/docs/generate.ts'], minify: false, write: false });
const docsModule = join(mkdtempSync(join(tmpdir(), 'virt-sriov-docs-')), 'generate.cjs');
try {
  writeFileSync(docsModule, docs.outputFiles[0].text);
  const { generatedDocs, releaseDate } = createRequire(import.meta.url)(docsModule);
  const date = releaseDate(readFileSync('CHANGELOG.md', 'utf8'), pkg.version);
  for (const [file, text] of Object.entries(generatedDocs({ version: pkg.version, date }))) {
    mkdirSync(dirname(`dist/${file}`), { recursive: true });
    writeFileSync(`dist/${file}`, text);
  }
} finally {
  rmSync(dirname(docsModule), { recursive: true, force: true });
}
