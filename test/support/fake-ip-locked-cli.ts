/**
 * `ip` for a fake host as a separate process, like fake-ip-cli.ts, but atomic as the kernel is:
 * each invocation holds the fake host's lock (fake-host-lock.ts), so hooks that run at once,
 * and the fake kernel (fake-kernel-cli.ts), never lose each other's updates.
 * `node fake-ip.mjs ROOT ARGS...`; bundled by fake-host-processes.ts.
 */
import { readFileSync } from 'node:fs';
import { FakeHost } from './fake-host.js';
import { withFakeHostLock } from './fake-host-lock.js';

const [root, ...argv] = process.argv.slice(2);
if (!root) {
  process.stderr.write('usage: fake-ip ROOT ARGS...\n');
  process.exit(2);
}
const stdin = argv.includes('-batch') ? readFileSync(0, 'utf8') : '';
const r = withFakeHostLock(root, () => FakeHost.open(root).runIp(argv, stdin));
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exitCode = r.code;
