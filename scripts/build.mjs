// Bundle the CLI and each hook into one file (esbuild): a hook's start-up time is part of
// every guest start, so it loads one file and nothing it does not use.
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // jsonc-parser's main file is UMD, whose requires esbuild can't follow: its ES modules instead
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  define: {
    VIRT_SRIOV_VERSION: JSON.stringify(pkg.version),
    // install.sh rewrites this marker to bake a config path into the installed hooks
    VIRT_SRIOV_CONFIG_MARKER: JSON.stringify('VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json'),
    // ... and where the hooks' operations bundle is (empty: beside the hook file)
    VIRT_SRIOV_OPERATIONS_MARKER: JSON.stringify('VIRT_SRIOV_OPERATIONS_PATH='),
  },
  logLevel: 'warning',
  // which npm packages each bundle holds: their notices go into the Debian copyright
  metafile: true,
};
// every source file bundled into what install.sh installs
const bundledInputs = new Set();
const shipped = (result) => {
  for (const f of Object.keys(result.metafile.inputs)) bundledInputs.add(f);
  return result;
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
shipped(await build({ ...loaded, entryPoints: { cli: 'src/cli/bundle.ts' }, outdir: 'dist' }));

shipped(await build({ ...loaded, entryPoints: { operations: 'src/hooks/operations.ts' }, outdir: 'dist/hooks' }));

// The CLI's entry: an ES module (installed as virt-sriov.mjs) that loads dist/cli.cjs.
shipped(await build({
  ...common,
  entryPoints: { 'virt-sriov': 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  format: 'esm',
  banner: { js: '#!/usr/bin/env node' },
}));

// node's hooks: CommonJS (node 18 reads a file without .mjs as CommonJS, and the tests still
// install one as a hook file itself). The installed hook file is the bash entry below, which
// execs one of these only for a call that may have work. Each is small: compiling the XML,
// process and lock libraries is most of a hook's start-up; those live in operations.cjs, loaded
// only when triage finds work.
shipped(await build({
  ...common,
  entryPoints: Object.fromEntries(['qemu', 'network', 'daemon'].filter((h) => existsSync(`hooks/${h}.ts`)).map((h) => [h, `hooks/${h}.ts`])),
  outdir: 'dist/hooks',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
}));

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
  const changelog = readFileSync('CHANGELOG.md', 'utf8');
  const date = releaseDate(changelog, pkg.version);
  const copyright = { upstream: { name: pkg.name, holders: [`${date.slice(0, 4)} ${pkg.author}`], license: pkg.license }, packages: shippedPackages() };
  for (const [file, text] of Object.entries(generatedDocs({ version: pkg.version, date }, { changelog, maintainer: pkg.author, copyright }))) {
    mkdirSync(dirname(`dist/${file}`), { recursive: true });
    writeFileSync(`dist/${file}`, text);
    // the dashboard lives in templates/ too, where admins find it and install.sh takes it from
    if (file.startsWith('templates/') && (!existsSync(file) || readFileSync(file, 'utf8') !== text)) writeFileSync(file, text);
  }
} finally {
  rmSync(dirname(docsModule), { recursive: true, force: true });
}

/** The npm packages in the bundles, and koffi (installed beside them): name, version, license, holders. */
function shippedPackages() {
  const names = new Set(['koffi']);
  for (const f of bundledInputs) {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) names.add(m[1]);
  }
  return [...names].map((name) => {
    const dir = `node_modules/${name}`;
    const meta = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
    const licenseFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = licenseFile ? readFileSync(`${dir}/${licenseFile}`, 'utf8') : '';
    // "Copyright (c) 2015 Jane Doe", not "the above copyright notice"
    const holders = [...new Set(text.split('\n').map((l) => l.trim()).filter((l) => /^copyright\b/i.test(l) && !/notice/i.test(l))
      .map((l) => l.replace(/^copyright\s*(\(c\)|©)?\s*/i, '').trim()).filter(Boolean))];
    const author = typeof meta.author === 'string' ? meta.author : meta.author?.name;
    return { name, version: meta.version, license: meta.license, holders: holders.length ? holders : author ? [author] : [] };
  });
}
