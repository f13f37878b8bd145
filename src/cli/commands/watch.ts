import { Command } from 'commander';
import { listenAddressProblem, parseListenAddress, type ListenAddress } from '../../config/listen-address.js';
import { InputError, isVirtSriovError, OperationError } from '../../errors.js';
import { openLibvirt, type LibvirtConnection } from '../../libvirt/index.js';
import { reconcileGuest, runningGuest } from '../../watch/act.js';
import { monitorPfLinks } from '../../watch/link-monitor.js';
import { serveMetrics } from '../../watch/metrics-server.js';
import { holdWatch, readWatchPid, watchLockFile } from '../../watch/running.js';
import { eventOf, Watcher, type WatchedConnection, type WhyLook } from '../../watch/watcher.js';
import { DomainXml } from '../../xml/domain.js';
import { CommandContext, contextOf } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { withLiveEnv } from '../live-change.js';
import { metricsText } from '../metrics-text.js';

interface WatchFlags {
  metricsListen?: string;
  metricsAllowRemote?: boolean;
}

/** How long to wait before trying again an address /metrics could not have (taken, not on this host yet). */
const METRICS_RETRY_MS = 10_000;

export function watchCommand(io: CliIo): Command {
  return withCommonOptions(new Command('watch'))
    .description('Watch libvirt for what bypasses virt-sriov (plain virsh attach-device / detach-device) and put each VF right; runs in the foreground')
    .addHelpText('after', '\nA VF hot-plugged with plain virsh gets the settings its domain asks for (metadata or XML) and is recorded as a\n'
      + 'hook would record it; a VF unplugged is restored and freed; a held VF whose settings drifted is put right,\n'
      + 'and every guest is looked at again when a PF comes back up (a PF down and up, or a driver reset, wipes VF settings).\n'
      + 'At start, and whenever libvirtd comes back, every running guest is looked at. Stop it with SIGTERM or Ctrl-C.\n'
      + 'Run it as a service: systemctl enable --now virt-sriov-watch.\n\n'
      + 'With --metrics-listen (or the config\'s watch.metricsListen) it also serves Prometheus metrics on /metrics:\n'
      + 'what virt-sriov metrics prints, read afresh at each scrape (docs/metrics.md).')
    .option('--metrics-listen <address>', 'serve Prometheus metrics on http://ADDRESS:PORT/metrics (127.0.0.1:9479, [::1]:9479; off: not at all); default: the config\'s watch.metricsListen, else off')
    .option('--metrics-allow-remote', 'let the metrics address be one other hosts reach (not loopback): /metrics names guests, MACs and VLANs, and has no authentication')
    .action(async function (this: Command, o: WatchFlags) {
      const ctx = contextOf(this, io);
      await watch(ctx, metricsAddress(ctx, o));
    });
}

/** Where /metrics listens: the flag, else the config (checked when it was read); null: nowhere. */
function metricsAddress(ctx: CommandContext, o: WatchFlags): ListenAddress | null {
  const { metricsListen, metricsAllowRemote } = ctx.config.watch;
  const text = o.metricsListen ?? metricsListen;
  if (text === undefined || text === 'off') return null;
  const problem = listenAddressProblem(text, o.metricsAllowRemote === true || metricsAllowRemote === true);
  if (problem) {
    throw new InputError(`--metrics-listen ${problem}`, problem.includes('loopback')
      ? 'give 127.0.0.1:PORT or [::1]:PORT, or add --metrics-allow-remote with a firewall or a TLS proxy in front'
      : 'give --metrics-listen 127.0.0.1:PORT (a free port), or off');
  }
  return parseListenAddress(text);
}

/**
 * The scrapes' own context: the same config and URI, its own libvirt connection (opened and
 * closed by each scrape, never the watcher's), and a note said once while it repeats (libvirtd
 * down: every scrape would say so).
 */
function scrapeContext(ctx: CommandContext): CommandContext {
  let last = '';
  return new CommandContext({
    ...ctx.io,
    stderr: (text) => {
      if (text !== last) ctx.io.stderr(text);
      last = text;
    },
  }, ctx.options);
}

async function watch(ctx: CommandContext, metricsAt: ListenAddress | null): Promise<void> {
  const uri = ctx.options.connect;
  const { stateDir } = ctx.config;
  const release = await holdWatch(stateDir, process.pid);
  if (!release) {
    const pid = readWatchPid(stateDir);
    throw new OperationError(`another virt-sriov watch runs on this host${pid ? ` (pid ${pid})` : ''}: it holds ${watchLockFile(stateDir)}`,
      'one watcher is enough: `systemctl status virt-sriov-watch` (or `fuser -v` on that file) finds it');
  }
  try {
    await watchHolding(ctx, uri, metricsAt);
  } finally {
    release();
  }
}

async function watchHolding(ctx: CommandContext, uri: string | undefined, metricsAt: ListenAddress | null): Promise<void> {
  const watcher = new Watcher({
    connect: () => watched(openLibvirt({ ...(uri ? { uri } : {}), events: true })),
    reconcile: (domain, xml, why) => reconcileFromXml(ctx, domain, xml, why),
    say: (line) => ctx.note(line),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const stop = () => watcher.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // SIGHUP: look at every running guest again, as at start
  const again = () => watcher.lookAgain('sighup');
  process.on('SIGHUP', again);
  const sysfs = ctx.host.sysfs;
  const stopLinks = monitorPfLinks({
    ip: ctx.config.ipCommand,
    isPf: (ifname) => sysfs.exists(`class/net/${ifname}/device/sriov_totalvfs`),
    onPfBack: (pf) => watcher.pfBack(pf),
    say: (line) => ctx.note(line),
  });
  const scrapes = scrapeContext(ctx);
  const metrics = metricsAt && serveMetrics(metricsAt, {
    scrape: () => metricsText(scrapes),
    say: (line) => ctx.note(line),
    describe: (e) => (isVirtSriovError(e) ? e.describe() : `internal error: ${(e as Error).message}`),
    retryMs: METRICS_RETRY_MS,
  });
  ctx.note(`watching ${uri ?? "libvirt's default URI"} for device and lifecycle events, and the PFs' links`);
  try {
    await watcher.run();
  } finally {
    await metrics?.close();
    stopLinks();
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGHUP', again);
  }
  ctx.note('stopped watching');
}

/** One look at a running guest, logged (as hook `watch`) when it changed or noted anything. Never throws: the watcher goes on. */
export async function reconcileFromXml(ctx: CommandContext, domain: string, xml: string, why: WhyLook): Promise<void> {
  try {
    await withLiveEnv(ctx, why.reason, domain, async (env) => {
      const guest = runningGuest(env, DomainXml.read(xml, `the live XML of domain ${domain}`));
      const done = await reconcileGuest(env, guest);
      if (done.failed) throw new Error(`${done.failed} VF(s) could not be put right (see the notes)`);
    }, { hook: 'watch', skipIdle: true, ...(why.detail ? { subop: why.detail } : {}) });
  } catch (e) {
    ctx.note(`domain ${domain}: ${(e as Error).message}`);
  }
}

function watched(conn: LibvirtConnection): WatchedConnection {
  return {
    running: () => conn.domains.list('active').map((d) => d.name),
    liveXml: (domain) => (conn.domains.lookup(domain)?.active ? conn.domains.xml(domain) : null),
    onEvent: (handler) => {
      const offDevice = conn.events.onDevice((e) => handler(e.domain, eventOf(e.kind)));
      const offLifecycle = conn.events.onLifecycle((e) => handler(e.domain, eventOf(e.event)));
      return () => {
        offDevice();
        offLifecycle();
      };
    },
    run: (ms, until) => conn.events.run(ms, until),
    alive: () => conn.alive(),
    close: () => conn.close(),
  };
}
