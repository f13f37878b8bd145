import { Command } from 'commander';
import { OperationError, UsageError } from '../../errors.js';
import { hostView } from '../../fleet/host-view.js';
import { readHostFacts } from '../../fleet/read-host.js';
import { hostMark, HOST_MARK_FILTER, MigrateFlag, openLibvirt, removeHostMark, type LibvirtConnection } from '../../libvirt/index.js';
import { carryHeldSettings } from '../../migrate/held-settings.js';
import { carryOut, type PlannedNic } from '../../migrate/move.js';
import { describePlan, planMigration, type GuestNic, type HostFactsForMove, type NetworkFacts } from '../../migrate/plan.js';
import { formatPciAddress } from '../../model/pci-address.js';
import { stateStore } from '../../state/state-store.js';
import { holds, sameOwner } from '../../state/vf-record.js';
import { child } from '../../xml/dom.js';
import { DomainXml } from '../../xml/domain.js';
import { parseNetworkXml } from '../../xml/network.js';
import { withContext, type CommandContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { connectedDeviceContext, connectedSupport, connectedVersions } from '../libvirt-host.js';
import { withLiveEnv } from '../live-change.js';
import { DEFAULT_UNPLUG_WAIT_S } from './detach.js';

interface MigrateOptions {
  live?: boolean;
  persistent?: boolean;
  undefinesource?: boolean;
  timeout?: string;
  migrateuri?: string;
  wait: string;
  dryRun?: boolean;
  markHost?: boolean;
  unmarkHost?: boolean;
}

export function migrateCommand(io: CliIo): Command {
  return withCommonOptions(new Command('migrate'))
    .description('Move a running guest with SR-IOV NICs to another host: its VFs unplugged here, free VFs on the same physical network plugged in there')
    .argument('[domain]', 'the running domain')
    .argument('[dest-uri]', 'the destination\'s libvirt URI (qemu+ssh://HOST/system)')
    .option('--live', 'live migration: the guest keeps running while it moves')
    .option('--persistent', 'define the guest on the destination (its definition names the VFs chosen there)')
    .option('--undefinesource', 'undefine the guest here once it runs there')
    .option('--timeout <seconds>', 'a live migration not done after this long finishes with the guest suspended (as virsh); it runs again on the destination')
    .option('--migrateuri <uri>', 'where QEMU\'s migration stream goes (tcp://HOST:PORT), as virsh\'s')
    .option('--wait <seconds>', 'how long the guest OS has to acknowledge each VF\'s unplug', String(DEFAULT_UNPLUG_WAIT_S))
    .option('--dry-run', 'check and print the plan; change nothing')
    .option('--mark-host', `put virt-sriov's mark (an inert network filter named ${HOST_MARK_FILTER}) on the host -c names, so migrations may go there`)
    .option('--unmark-host', 'take the mark off (virt-sriov leaves that host: migrations stop going there)')
    .addHelpText('after', '\nPreflight first, changing nothing: the destination has virt-sriov (its mark) and, for each SR-IOV NIC, a free VF\n'
      + 'on the same physical network (its hostdev network\'s name, or the config\'s physicalNetworks); otherwise refused,\n'
      + 'naming what is missing where. A failover pair (convert --failover) is moved by libvirt itself, the guest on its\n'
      + 'virtio-net standby meanwhile. Any other NIC is unplugged here (its VF put back and freed), the guest migrated, and a\n'
      + 'VF plugged in there with the same MAC, VLAN and settings. A failure before the guest runs there leaves it here, its\n'
      + 'VFs back in. Run it on the source host.')
    .action(async function (this: Command, domain: string | undefined, dest: string | undefined, o: MigrateOptions) {
      await withContext(this, io, (ctx) => (o.markHost || o.unmarkHost ? mark(ctx, domain, !o.unmarkHost) : migrate(ctx, domain, dest, o)));
    });
}

async function mark(ctx: CommandContext, extra: string | undefined, on: boolean): Promise<void> {
  const flag = on ? '--mark-host' : '--unmark-host';
  if (extra) throw new UsageError(`${flag} takes no domain`, `virt-sriov migrate ${flag} [-c URI]`);
  const host = `${ctx.libvirt.hostname()} (${ctx.libvirt.uri})`;
  if (!on) {
    const had = removeHostMark(ctx.libvirt);
    ctx.out(`${host}: ${had ? 'no longer carries' : 'carried no'} virt-sriov's mark (network filter ${HOST_MARK_FILTER}): migrations are refused here`);
    return;
  }
  const had = hostMark(ctx.libvirt);
  hostMark(ctx.libvirt, true);
  ctx.out(`${host}: ${had ? 'already carries' : 'now carries'} virt-sriov's mark (network filter ${HOST_MARK_FILTER}): migrations may come here`);
}

async function migrate(ctx: CommandContext, domain: string | undefined, destUri: string | undefined, o: MigrateOptions): Promise<void> {
  if (!domain || !destUri) throw new UsageError('give the domain and the destination\'s URI', 'virt-sriov migrate DOMAIN qemu+ssh://HOST/system [--live] ...');
  const seconds = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} '${v}' is not a number of seconds`, `give ${flag} 30, say`);
    return n;
  };
  const timeoutS = seconds(o.timeout, '--timeout');
  const waitS = seconds(o.wait, '--wait')!;
  if (timeoutS !== undefined && !o.live) throw new UsageError('--timeout needs --live', 'as in virsh');
  ctx.events = true; // the unplugs wait for libvirt's device-removed events
  const src = ctx.libvirt;
  const dst = openLibvirt({ uri: destUri });
  try {
    const summary = src.domains.lookup(domain);
    if (!summary) throw new OperationError(`domain ${domain} is not defined on ${src.uri}`, '`virsh list --all` shows the defined domains');
    const running = summary.active;
    const owner = { name: domain, uuid: summary.uuid };
    const deviceCtx = connectedDeviceContext(ctx);
    // what the guest's VFs carry here, beyond what it was started with (held-settings.ts)
    const held = new Map(ctx.local ? stateStore(ctx.config.stateDir).all().filter((r) => holds(r) && sameOwner(r.owner, owner)).map((r) => [r.pci, r.guest]) : []);
    const vlanInXml = connectedSupport(connectedVersions(src)).vlanInXml;
    const carried = (xml: string) => {
      const d = DomainXml.parse(xml, `domain ${domain}`);
      carryHeldSettings(d, deviceCtx, held, vlanInXml);
      return d;
    };
    const live = running ? carried(src.domains.xml(domain)) : null;
    const devices = live ? live.sriovDevices(deviceCtx) : [];
    const nics: GuestNic[] = devices.map((d) => ({
      label: d.label, style: d.style, vf: d.fields.vf ? formatPciAddress(d.fields.vf) : null, network: d.fields.network ?? null,
      failover: child(d.element, 'teaming')?.getAttribute('type') === 'transient',
    }));
    const mapping = ctx.config.physicalNetworks;
    const request = {
      domain, running, nics, mapping, sourceLocal: ctx.local,
      source: facts(src, mapping, true), dest: facts(dst, mapping, hostMark(dst)),
      destHasDomain: dst.domains.lookup(domain) !== null,
    };
    const result = planMigration(request);
    if (!result.ok) {
      throw new OperationError(`migrate ${domain} to ${destUri}: refused, nothing changed on either host:\n  - ${result.problems.join('\n  - ')}`,
        'fix what is named above, then run it again (--dry-run checks without moving anything)');
    }
    const plan = result.plan;
    const steps = describePlan(plan, { live: !!o.live, persistent: !!o.persistent, undefineSource: !!o.undefinesource, timeoutS });
    if (o.dryRun) {
      ctx.out(`nothing changed (--dry-run): migrate ${domain} from ${plan.source} to ${plan.dest}:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
      return;
    }
    try {
      hostMark(src, true); // a host that sends guests has virt-sriov: others may send them here
    } catch (e) {
      ctx.note(`could not mark ${src.uri} as a virt-sriov host (${(e as Error).message.split('\n')[0]}); migrating all the same`);
    }
    const flags = (o.live ? MigrateFlag.LIVE : 0) | (o.persistent ? MigrateFlag.PERSIST_DEST : 0) | (o.undefinesource ? MigrateFlag.UNDEFINE_SOURCE : 0);
    const planned: PlannedNic[] = plan.moves.map((move) => ({ move, device: devices[nics.indexOf(move.nic)]! }));
    // the destination's VFs are its own hooks' to ready (move.ts), even on this machine's kernel
    const report = await withLiveEnv(ctx, 'migrate', domain, async (env) => {
      return carryOut(plan, planned, owner, { conn: src, env: ctx.local ? env : null }, { conn: dst }, {
        flags, migrateUri: o.migrateuri, timeoutS, carry: (xml) => carried(xml).toString(), unplugWaitS: waitS, persistent: !!o.persistent,
      });
    });
    const lines = [`migrated ${domain} from ${plan.source} to ${plan.dest} in ${(report.migrateMs / 1000).toFixed(1)} s`];
    for (const w of report.withoutVf) lines.push(`  ${w.label}: the guest ran without its VF for ${(w.ms / 1000).toFixed(1)} s`);
    for (const n of report.notes) lines.push(`  note: ${n}`);
    ctx.out(lines.join('\n'));
  } finally {
    dst.close();
  }
}

function facts(conn: LibvirtConnection, mapping: Parameters<typeof hostView>[1], marked: boolean): HostFactsForMove {
  const networks: NetworkFacts[] = conn.networks.list().map((n) => {
    const parsed = parseNetworkXml(conn.networks.xml(n.name), `network ${n.name}`);
    return { name: n.name, active: n.active, hostdev: parsed.hostdev, pf: parsed.pf };
  });
  return { uri: conn.uri, view: hostView(readHostFacts(conn), mapping), networks, marked };
}
