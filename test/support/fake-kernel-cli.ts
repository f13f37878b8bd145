/**
 * The fake kernel as a process: `node fake-kernel.mjs ROOT [INTERVAL_MS] [MAX_SECONDS]` polls
 * the fake host's sriov_numvfs files every INTERVAL_MS (default 10) and applies what hooks wrote
 * (fake-kernel.ts). Prints "ready" once it has looked; exits when its stdin closes (the test
 * process ended or stopped it) or after MAX_SECONDS (default 300), whichever comes first.
 * Bundled by fake-host-processes.ts.
 */
import { FakeHost } from './fake-host.js';
import { kernelPass } from './fake-kernel.js';

const [root, interval = '10', maxSeconds = '300'] = process.argv.slice(2);
if (!root) {
  process.stderr.write('usage: fake-kernel ROOT [INTERVAL_MS] [MAX_SECONDS]\n');
  process.exit(2);
}
const host = FakeHost.open(root);

const pass = () => {
  try {
    for (const e of kernelPass(host)) process.stderr.write(`fake kernel: ${JSON.stringify(e)}\n`);
  } catch (e) {
    // the fake host removed under us (the test is over), or a lock held too long
    process.stderr.write(`fake kernel: ${(e as Error).message}\n`);
  }
};

pass();
const timer = setInterval(pass, Number(interval));
const end = () => {
  clearInterval(timer);
  process.exit(0);
};
setTimeout(end, Number(maxSeconds) * 1000).unref();
process.stdin.on('end', end).on('close', end).on('error', end).resume();
process.stdout.write('ready\n');
