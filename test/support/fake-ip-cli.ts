/**
 * `ip` for a fake host, as a separate process: `node fake-ip.mjs ROOT ARGS...`. Bundled by the
 * tests that need hooks spawned by a real libvirtd to act on a fake host.
 */
import { readFileSync } from 'node:fs';
import { FakeHost } from './fake-host.js';

const [root, ...argv] = process.argv.slice(2);
if (!root) {
  process.stderr.write('usage: fake-ip ROOT ARGS...\n');
  process.exit(2);
}
const stdin = argv.includes('-batch') ? readFileSync(0, 'utf8') : '';
const r = FakeHost.open(root).runIp(argv, stdin);
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exitCode = r.code;
