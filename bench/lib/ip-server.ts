/**
 * A fake `ip` served by one long-lived process: `node ip-server.mjs SOCKET ROOT`. Each call of
 * bench/lib/fast-ip.c (a ~1 ms C client, as cheap to start as the real `ip`) is one request:
 * the same FakeHost.runIp under the same fake-host lock as test/support/fake-ip-locked-cli.ts,
 * so the fake host's JSON (VF state and the record of every call) ends up the same. It exists
 * because the test fake `ip` is a node process: ~60 ms per call, which would make any hook that
 * runs `ip` look slow for a reason a real host doesn't have.
 *
 * Request: "<argv bytes length>\n", the argv joined by NUL, then stdin to EOF (the client shuts
 * down its write side). Reply: "<exit code> <stdout bytes length>\n", stdout, stderr, close.
 */
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { FakeHost } from '../../test/support/fake-host.js';
import { withFakeHostLock } from '../../test/support/fake-host-lock.js';

const [socket, root] = process.argv.slice(2);
if (!socket || !root) {
  process.stderr.write('usage: ip-server SOCKET ROOT\n');
  process.exit(2);
}
rmSync(socket, { force: true });
const server = createServer((conn) => {
  const chunks: Buffer[] = [];
  conn.on('data', (d: Buffer) => chunks.push(d));
  conn.on('end', () => {
    const all = Buffer.concat(chunks);
    const nl = all.indexOf(10);
    const len = Number(all.subarray(0, nl).toString());
    const argv = all.subarray(nl + 1, nl + 1 + len).toString('utf8').split('\0');
    const stdin = all.subarray(nl + 1 + len).toString('utf8');
    let r: { code: number; stdout: string; stderr: string };
    try {
      r = withFakeHostLock(root, () => FakeHost.open(root).runIp(argv, argv.includes('-batch') ? stdin : ''));
    } catch (e) {
      r = { code: 1, stdout: '', stderr: `fake ip server: ${(e as Error).message}\n` };
    }
    const out = Buffer.from(r.stdout);
    conn.end(Buffer.concat([Buffer.from(`${r.code} ${out.length}\n`), out, Buffer.from(r.stderr)]));
  });
  conn.on('error', () => undefined);
});
server.listen(socket, () => process.stdout.write('ready\n'));
// ends with its parent: stdin closing
process.stdin.resume();
process.stdin.on('end', () => {
  server.close();
  rmSync(socket, { force: true });
  process.exit(0);
});
