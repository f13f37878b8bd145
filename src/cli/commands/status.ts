import { Command, type Option } from 'commander';
import { isLocalUri } from '../../libvirt/uri.js';
import { fleetStatus } from './status-fleet.js';
import { profileOf } from '../../drivers/driver-profiles.js';
import type { HostModel, PfInfo, VfInfo } from '../../host/host-model.js';
import { snapshotOf } from '../../plan/vf-snapshot.js';
import type { VfRecord } from '../../state/vf-record.js';
import { describeDrift, driftOf, type Drift } from '../../watch/drift.js';
import { watcherState, type WatcherState } from '../../watch/running.js';
import { contextOf } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import { readHostWithHolders, selectPfs } from '../host-reading.js';
import type { VfHolder } from '../../pool/vf-holders.js';
import type { CliIo } from '../io.js';
import { renderTable } from '../../table.js';
import { noCounterReasons, vfCounters, whyNoCounters } from '../../traffic/vf-counters.js';
import { formatBytes } from '../../traffic/units.js';

export function statusCommand(io: CliIo): Command {
  const cmd = withCommonOptions(new Command('status'));
  // repeatable: -c URI -c URI ... is the fleet view
  const connect = cmd.options.find((opt: Option) => opt.long === '--connect')!;
  connect.argParser((uri: string, had: unknown) => [...(Array.isArray(had) ? had : []), uri]);
  return cmd
    .description('Every SR-IOV PF of this host, the state of each VF, who holds it and what it carried; with -c URI (repeatable), each host\'s PFs, VFs and holders through libvirt')
    .option('--json', 'print JSON')
    .option('--pf <iface>', 'only this PF')
    .addHelpText('after', '\nWith one -c naming this host, or none, the host itself is read: every VF setting and its traffic. With -c naming\n'
      + 'another host, or several -c, each host is read through libvirt alone (no shell there): its PFs, VFs, their drivers and\n'
      + 'who holds them; a VF\'s VLAN, QoS, trust, spoofchk, link state, rates, the MAC set on it and its traffic show only in\n'
      + 'a run on the host itself.')
    .action(async function (this: Command, o: { json?: boolean; pf?: string }) {
      const given = this.optsWithGlobals<{ connect?: string | string[] }>().connect;
      const uris = given === undefined ? [] : Array.isArray(given) ? given : [given];
      if (uris.length > 1 || (uris.length === 1 && !isLocalUri(uris[0]))) {
        return fleetStatus(contextOf(this, io, { connect: undefined }), uris, !!o.json, o.pf);
      }
      const ctx = contextOf(this, io, { connect: uris[0] });
      const { host, holders, records } = await readHostWithHolders(ctx, selectPfs(ctx, o.pf));
      const watcher = watcherState(ctx.config.stateDir);
      if (o.json) return ctx.out(JSON.stringify(statusJson(host, holders, records, watcher)));
      if (host.pfs.length === 0) {
        return ctx.out('No SR-IOV NIC on this host: no network interface offers VFs (sriov_totalvfs).\n'
          + 'Run `virt-sriov doctor`: it checks the IOMMU, the kernel, the NIC drivers and the BIOS settings, and says what to fix.');
      }
      ctx.out(host.pfs.map((pf) => renderPf(pf, holders, records, watcher)).join('\n'));
    });
}

/**
 * Whether a VF carries what its guest asked for, by the watcher's own rule (watch/drift.ts):
 * null for a VF no running guest holds through virt-sriov (or whose settings can't be read).
 */
export function guestMatch(pf: PfInfo, vf: VfInfo, records: readonly VfRecord[]): { matches: boolean; drift: Drift[] } | null {
  const record = records.find((r) => r.pci === vf.pci);
  if (!record || !vf.state) return null;
  const drift = driftOf(record, snapshotOf(vf.state), profileOf(pf.driver));
  return drift && { matches: drift.length === 0, drift };
}

export function statusJson(host: HostModel, holders: ReadonlyMap<string, VfHolder> = new Map(), records: readonly VfRecord[] = [], watcher?: WatcherState) {
  return {
    // whether `virt-sriov watch` runs: what puts a drifted VF right
    ...(watcher ? { watcher: { running: watcher.running, pid: watcher.running ? watcher.pid : null } } : {}),
    pfs: host.pfs.map((pf) => ({
      name: pf.name,
      pci: pf.pci,
      driver: pf.driver,
      totalVfs: pf.totalVfs,
      numVfs: pf.numVfs,
      up: pf.up,
      vfs: pf.vfs.map((vf) => ({
        vf: vf.vf,
        pci: vf.pci,
        netdev: vf.netdev,
        driver: vf.driver,
        iommuGroup: vf.iommuGroup,
        mac: vf.state?.mac ?? null,
        vlan: vf.state?.vlan ?? null,
        qos: vf.state?.qos ?? null,
        spoofchk: vf.state?.spoofchk ?? null,
        trust: vf.state?.trust ?? null,
        linkState: vf.state?.linkState ?? null,
        minTxRate: vf.state?.minTxRate ?? null,
        maxTxRate: vf.state?.maxTxRate ?? null,
        domain: holders.get(vf.pci) ?? null,
        // what the guest asked for, matched or not (null: no running guest's record for it)
        guestSettings: guestMatch(pf, vf, records),
        counters: vfCounters(pf, vf),
        noCounters: whyNoCounters(pf, vf),
      })),
    })),
  };
}

function renderPf(pf: PfInfo, holders: ReadonlyMap<string, VfHolder>, records: readonly VfRecord[], watcher: WatcherState): string {
  const head = `${pf.name} (${pf.pci}, ${pf.driver ?? 'no driver'}, ${pf.up ? 'up' : 'DOWN'}): ${pf.numVfs} of ${pf.totalVfs} VFs`;
  const onOff = (b: boolean | null | undefined) => (b === null || b === undefined ? '-' : b ? 'on' : 'off');
  const rows = pf.vfs.map((vf) => [
    String(vf.vf), vf.pci, vf.netdev ?? '-', vf.driver ?? '-', vf.state?.mac ?? '-',
    vf.state?.vlan ? `${vf.state.vlan}${vf.state.qos ? `:${vf.state.qos}` : ''}` : '-',
    onOff(vf.state?.spoofchk), onOff(vf.state?.trust), vf.state?.linkState ?? '-',
    vf.state ? `${vf.state.minTxRate}/${vf.state.maxTxRate}` : '-',
    holderText(holders.get(vf.pci)),
    matchText(guestMatch(pf, vf, records)),
    ...countersText(vfCounters(pf, vf)),
  ]);
  // one line per reason a VF shows no counters (the driver's, or an old kernel's), not a row of zeros
  const notes = noCounterReasons([pf]);
  // one line per VF that is not as its guest asked: what differs, and who puts it right
  const drifts = pf.vfs.flatMap((vf) => {
    const m = guestMatch(pf, vf, records);
    const owner = records.find((r) => r.pci === vf.pci)?.owner.name;
    return m && !m.matches ? [`  drift: VF ${vf.vf} (${owner}): ${describeDrift(m.drift)}; ${whoPutsRight(watcher, owner ?? '?', vf.pci)}`] : [];
  });
  return [head, ...renderTable([['VF', 'PCI', 'NETDEV', 'DRIVER', 'MAC', 'VLAN', 'SPOOFCHK', 'TRUST', 'LINK', 'TX MIN/MAX', 'DOMAIN', 'SETTINGS', 'RX', 'TX', 'DROPPED'], ...rows], '  '),
    ...drifts, ...notes.map((n) => `  n/a: ${n}`)].join('\n');
}

/** Who puts a drifted VF right: the watcher, if it runs; else the admin, and how. */
function whoPutsRight(w: WatcherState, domain: string, pci: string): string {
  if (w.running) return `virt-sriov watch${w.pid ? ` (pid ${w.pid})` : ''} puts it right (\`systemctl reload virt-sriov-watch\` makes it look now)`;
  return 'virt-sriov watch does not run, so nothing puts it right: start it (`systemctl enable --now virt-sriov-watch`, or `virt-sriov watch` under a supervisor), '
    + `or give the VF its settings: \`virt-sriov set ${domain} --vf ${pci} --live\` with them`;
}

/** ok: as its guest asked; DRIFT: not (a line under the table says how); -: no running guest's record to compare with. */
function matchText(m: ReturnType<typeof guestMatch>): string {
  return m === null ? '-' : m.matches ? 'ok' : 'DRIFT';
}

/** The guest and its NIC on the VF: `web1/ua-wan (running)`, `web1/52:54:00:... (defined)`. */
export function holderText(h: VfHolder | undefined): string {
  if (!h) return '-';
  const nic = h.alias ?? h.mac;
  return `${h.domain}${nic ? `/${nic}` : ''} (${h.running ? 'running' : 'defined'})`;
}

/** RX and TX bytes and the drops (received and sent), or n/a for each when nothing counts them. */
function countersText(c: ReturnType<typeof vfCounters>): [string, string, string] {
  if (!c) return ['n/a', 'n/a', 'n/a'];
  const drops = c.rxDropped === null && c.txDropped === null ? '-' : String((c.rxDropped ?? 0) + (c.txDropped ?? 0));
  return [formatBytes(c.rxBytes), formatBytes(c.txBytes), drops];
}
