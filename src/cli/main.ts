// The `virt-sriov` command: a small entry that loads the CLI's bundle (cli.cjs, beside it)
// through V8's code cache, so a command doesn't pay to compile 600 KB of JavaScript each time.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../runtime/code-cache.js';

// one code cache per command (`status`, `convert`...), kept only from a run that succeeded
const argv = process.argv.slice(2);
const cli = loadBundle<typeof import('./bundle.js')>(join(dirname(fileURLToPath(import.meta.url)), 'cli.cjs'), /^[a-z]+$/.test(argv[0] ?? '') ? argv[0] : 'default');
process.exitCode = await cli.exports.main(argv);
if (process.exitCode === 0) cli.saveCache();
