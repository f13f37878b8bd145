// The `virt-sriov` command: a small entry that loads the CLI's bundle (cli.cjs, beside it)
// through V8's code cache, so a command doesn't pay to compile 600 KB of JavaScript each time.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../runtime/code-cache.js';

const cli = loadBundle<typeof import('./bundle.js')>(join(dirname(fileURLToPath(import.meta.url)), 'cli.cjs'));
process.exitCode = await cli.exports.main(process.argv.slice(2));
cli.saveCache();
