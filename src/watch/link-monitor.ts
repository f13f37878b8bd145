/**
 * `ip -o monitor link`, kept running for as long as the watcher runs: each line goes through
 * pf-links.ts, and a PF that came back is handed on. If ip exits it is started again a second
 * later, and that restart counts as a PF back (`onPfBack('*')`): what happened in that second is
 * caught up by a look at every guest.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseMonitorLine, PfLinkTracker } from './pf-links.js';

export interface LinkMonitorOptions {
  /** The argv that runs ip (config.ipCommand). */
  readonly ip: readonly string[];
  /** Whether an interface is an SR-IOV PF (sysfs: device/sriov_totalvfs). */
  readonly isPf: (ifname: string) => boolean;
  /** A PF came back (up after down, carrier back, re-appeared); '*': the monitor restarted, any may have. */
  readonly onPfBack: (pf: string) => void;
  readonly say: (line: string) => void;
  readonly restartMs?: number;
}

/** Start monitoring; the returned function stops it. */
export function monitorPfLinks(o: LinkMonitorOptions): () => void {
  const tracker = new PfLinkTracker();
  const known = new Set<string>();
  let stopped = false;
  let child: ReturnType<typeof spawn> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const start = () => {
    const [file, ...pre] = o.ip;
    child = spawn(file!, [...pre, '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = parseMonitorLine(line);
      // a deleted PF no longer shows in sysfs: known from before
      if (!e || !(known.has(e.ifname) || o.isPf(e.ifname))) return;
      known.add(e.ifname);
      const back = tracker.feed(e);
      if (back) o.onPfBack(back);
    });
    child.on('error', (e) => o.say(`cannot monitor the PFs' links (${o.ip.join(' ')} -o monitor link): ${e.message}`));
    child.on('close', (code, signal) => {
      child = null;
      if (stopped) return;
      o.say(`ip monitor link ended (${stderr.trim().split('\n').pop() || (signal ? `killed by ${signal}` : `exit code ${code}`)}); starting it again`);
      timer = setTimeout(() => {
        start();
        o.onPfBack('*');
      }, o.restartMs ?? 1000);
    });
  };
  start();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    child?.kill();
  };
}
