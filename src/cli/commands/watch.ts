import { Command } from 'commander';
import { openLibvirt, type LibvirtConnection } from '../../libvirt/index.js';
import { reconcileGuest, runningGuest } from '../../watch/act.js';
import { monitorPfLinks } from '../../watch/link-monitor.js';
import { eventOf, Watcher, type WatchedConnection } from '../../watch/watcher.js';
import { DomainXml } from '../../xml/domain.js';
import { contextOf, withCommonOptions, type CommandContext } from '../context.js';
import type { CliIo } from '../io.js';
import { withLiveEnv } from '../live-env.js';

export function watchCommand(io: CliIo): Command {
  return withCommonOptions(new Command('watch'))
    .description('Watch libvirt for what bypasses virt-sriov (plain virsh attach-device / detach-device) and put each VF right; runs in the foreground')
    .addHelpText('after', '\nA VF hot-plugged with plain virsh gets the settings its domain asks for (metadata or XML) and is recorded as a\n'
      + 'hook would record it; a VF unplugged is restored and freed; a held VF whose settings drifted is put right,\n'
      + 'and every guest is looked at again when a PF comes back up (a PF down and up, or a driver reset, wipes VF settings).\n'
      + 'At start, and whenever libvirtd comes back, every running guest is looked at. Stop it with SIGTERM or Ctrl-C.\n'
      + 'Run it as a service: systemctl enable --now virt-sriov-watch.')
    .action(async function (this: Command) {
      const ctx = contextOf(this, io);
      await watch(ctx);
    });
}

async function watch(ctx: CommandContext): Promise<void> {
  const uri = ctx.options.connect;
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
  const again = () => watcher.lookAgain('SIGHUP');
  process.on('SIGHUP', again);
  const sysfs = ctx.host.sysfs;
  const stopLinks = monitorPfLinks({
    ip: ctx.config.ipCommand,
    isPf: (ifname) => sysfs.exists(`class/net/${ifname}/device/sriov_totalvfs`),
    onPfBack: (pf) => watcher.lookAgain(pf === '*' ? 'pf-monitor-restarted' : `pf-up ${pf}`),
    say: (line) => ctx.note(line),
  });
  ctx.note(`watching ${uri ?? "libvirt's default URI"} for device and lifecycle events, and the PFs' links`);
  try {
    await watcher.run();
  } finally {
    stopLinks();
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGHUP', again);
  }
  ctx.note('stopped watching');
}

/** One look at a running guest, logged (as hook `watch`) when it changed or noted anything. Never throws: the watcher goes on. */
async function reconcileFromXml(ctx: CommandContext, domain: string, xml: string, why: string): Promise<void> {
  try {
    await withLiveEnv(ctx, why, domain, async (env) => {
      const guest = runningGuest(env, DomainXml.read(xml, `the live XML of domain ${domain}`));
      const done = await reconcileGuest(env, guest);
      if (done.failed) throw new Error(`${done.failed} VF(s) could not be put right (see the notes)`);
    }, { hook: 'watch', skipIdle: true });
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
