/**
 * `virt-sriov migrate`'s decisions, over plain data: is the move possible (the preflight, which
 * changes nothing), and if so what happens to each SR-IOV NIC of the guest. Pure.
 *
 * A NIC's VF on the destination comes from the same physical network and nowhere else:
 *  - a network-style NIC (`<interface type='network'>` on a hostdev pool) from the destination's
 *    hostdev network of the same name, where libvirt picks the VF;
 *  - a pinned NIC (`<hostdev>`, `<interface type='hostdev'>`) from a free VF of a destination PF
 *    that the config's physicalNetworks maps to the physical network of its source PF, or that
 *    the destination's hostdev network of the same name as the source PF's runs on.
 * Never "the only PF", never the same PCI address: a NIC with no such match is refused.
 *
 * How each NIC travels:
 *  - a failover pair (its VF with <teaming type='transient'>): libvirt unplugs the VF itself, the
 *    guest's traffic on the virtio-net standby meanwhile; the destination XML names the chosen VF
 *    there, and the destination's hooks set it up before QEMU runs (plain migrate);
 *  - any other: unplugged live on the source (the VF put back as it was and freed), the guest
 *    migrated, and a free VF on the destination plugged in with the same MAC, VLAN and settings.
 */
import { mappedPfs, physnetsOf } from '../config/physical-networks.js';
import type { Config } from '../config/config.js';
import type { HostView } from '../fleet/host-view.js';
import type { Style } from '../xml/devices/device-fields.js';

/** One SR-IOV NIC of the guest, as its running XML has it. */
export interface GuestNic {
  /** How an admin names it: "interface 52:54:00:aa:00:01", "hostdev 0000:03:10.2". */
  readonly label: string;
  readonly style: Style;
  /** The source VF of a pinned NIC. */
  readonly vf: string | null;
  /** The hostdev network of a network-style NIC. */
  readonly network: string | null;
  /** <teaming type='transient'>: half of a failover pair. */
  readonly failover: boolean;
}

export interface NetworkFacts {
  readonly name: string;
  readonly active: boolean;
  readonly hostdev: boolean;
  /** The PF its <pf dev> names. */
  readonly pf: string | null;
}

export interface HostFactsForMove {
  readonly uri: string;
  readonly view: HostView;
  readonly networks: readonly NetworkFacts[];
  /** virt-sriov's mark is on the host (fleet/host-mark.ts). */
  readonly marked: boolean;
}

export interface MigrateRequest {
  readonly domain: string;
  readonly running: boolean;
  readonly nics: readonly GuestNic[];
  readonly source: HostFactsForMove;
  /** The source connection is to the host virt-sriov runs on: it can put back the VFs it unplugs. */
  readonly sourceLocal: boolean;
  readonly dest: HostFactsForMove;
  /** The destination already has a domain of that name. */
  readonly destHasDomain: boolean;
  readonly mapping: Config['physicalNetworks'];
}

export type NicMove =
  | { readonly nic: GuestNic; readonly unplug: boolean; readonly to: 'pool'; readonly network: string }
  | { readonly nic: GuestNic; readonly unplug: boolean; readonly to: 'vf'; readonly sourcePf: string; readonly pf: string; readonly vf: string; readonly by: string };

export interface MigrationPlan {
  readonly domain: string;
  readonly source: string;
  readonly dest: string;
  readonly moves: readonly NicMove[];
}

export type PlanResult = { readonly ok: true; readonly plan: MigrationPlan } | { readonly ok: false; readonly problems: readonly string[] };

export function planMigration(r: MigrateRequest): PlanResult {
  const problems: string[] = [];
  const src = r.source.view.hostname;
  const dst = r.dest.view.hostname;
  const at = (h: HostFactsForMove) => `${h.view.hostname} (${h.uri})`;
  if (!r.running) problems.push(`domain ${r.domain} is not running on ${at(r.source)}: virt-sriov migrate moves a running guest (a stopped one moves with virsh migrate --offline --persistent)`);
  if (r.destHasDomain) problems.push(`${at(r.dest)} already has a domain named ${r.domain}`);
  if (!r.dest.marked) {
    problems.push(`${at(r.dest)} shows no virt-sriov: it has no network filter 'virt-sriov', virt-sriov's mark on a host where it is installed`
      + ` (run \`virt-sriov migrate --mark-host\` on it once virt-sriov is installed there)`);
  }
  if (r.nics.some((n) => !n.failover) && !r.sourceLocal) {
    problems.push(`${at(r.source)} is not this host: virt-sriov migrate unplugs a guest's VFs and puts them back itself, so it runs on the source host (or use failover pairs, which plain virsh migrate moves)`);
  }

  const taken = new Set<string>();
  const poolUse = new Map<string, number>();
  const moves: NicMove[] = [];
  for (const nic of r.nics) {
    const unplug = !nic.failover;
    if (nic.style === 'network') {
      const name = nic.network ?? '';
      const net = r.dest.networks.find((n) => n.name === name);
      if (!net || !net.hostdev) {
        problems.push(`${nic.label}: ${at(r.dest)} has no hostdev network ${name}${net ? ` (${name} there is not a <forward mode='hostdev'> pool)` : ''}`);
        continue;
      }
      if (!net.active) {
        problems.push(`${nic.label}: network ${name} is not running on ${at(r.dest)} (virsh net-start ${name} there)`);
        continue;
      }
      const free = net.pf ? freeVfs(r.dest.view, net.pf, taken) : [];
      const used = poolUse.get(name) ?? 0;
      if (free.length <= used) {
        problems.push(`${nic.label}: network ${name} on ${at(r.dest)} has no free VF${net.pf ? ` (its PF ${net.pf}: ${describeFree(r.dest.view, net.pf)})` : ' (it names no PF virt-sriov can count VFs of)'}`);
        continue;
      }
      poolUse.set(name, used + 1);
      moves.push({ nic, unplug, to: 'pool', network: name });
      continue;
    }
    if (!nic.vf) {
      problems.push(`${nic.label}: no VF in its XML`);
      continue;
    }
    const sourcePf = r.source.view.pfs.find((p) => p.vfs.some((v) => v.pci === nic.vf));
    if (!sourcePf?.netdev) {
      problems.push(`${nic.label}: VF ${nic.vf} is a VF of no PF ${at(r.source)} lists${sourcePf ? ` with a netdev (its PF ${sourcePf.pci} has none)` : ''}, so its physical network is unknown`);
      continue;
    }
    const physnets = physnetsOf(r.mapping, src, sourcePf.netdev);
    const poolNames = r.source.networks.filter((n) => n.hostdev && n.pf === sourcePf.netdev).map((n) => n.name);
    const candidates: { pf: string; by: string }[] = [
      ...physnets.flatMap((n) => mappedPfs(r.mapping, n, dst).map((pf) => ({ pf, by: `physical network ${n}` }))),
      ...poolNames.flatMap((name) => r.dest.networks.filter((n) => n.name === name && n.hostdev && n.pf).map((n) => ({ pf: n.pf!, by: `hostdev network ${name}` }))),
    ];
    const where = `VF ${nic.vf} is on ${src}'s ${sourcePf.netdev}`;
    if (!candidates.length) {
      problems.push(`${nic.label}: ${where}, ${physnets.length || poolNames.length
        ? `but ${at(r.dest)} has no PF on ${[...physnets.map((n) => `physical network ${n}`), ...poolNames.map((n) => `hostdev network ${n}`)].join(' or ')}`
        : `which is on no physical network in the config and in no hostdev network`}`
        + ` (map both hosts' PFs in physicalNetworks: {"NET": {"${src}": ["${sourcePf.netdev}"], "${dst}": ["PF"]}})`);
      continue;
    }
    const pick = candidates.map((c) => ({ ...c, vf: freeVfs(r.dest.view, c.pf, taken)[0] })).find((c) => c.vf);
    if (!pick?.vf) {
      const pfs = [...new Set(candidates.map((c) => c.pf))];
      problems.push(`${nic.label}: ${where}; ${at(r.dest)} has no free VF on ${pfs.map((pf) => `${pf} (${describeFree(r.dest.view, pf)})`).join(', ')}`);
      continue;
    }
    taken.add(pick.vf);
    moves.push({ nic, unplug, to: 'vf', sourcePf: sourcePf.netdev, pf: pick.pf, vf: pick.vf, by: pick.by });
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, plan: { domain: r.domain, source: at(r.source), dest: at(r.dest), moves } };
}

function freeVfs(view: HostView, pf: string, taken: ReadonlySet<string>): string[] {
  return view.pfs.find((p) => p.netdev === pf)?.vfs.filter((v) => v.listed && !v.use && !taken.has(v.pci)).map((v) => v.pci) ?? [];
}

function describeFree(view: HostView, pf: string): string {
  const p = view.pfs.find((x) => x.netdev === pf);
  if (!p) return 'not an SR-IOV PF there';
  const free = p.vfs.filter((v) => v.listed && !v.use).length;
  return `${free} of ${p.vfs.length} VFs free`;
}

export interface PlanOptions {
  readonly live: boolean;
  readonly persistent: boolean;
  readonly undefineSource: boolean;
  readonly timeoutS?: number;
}

/** The plan in the admin's words, one step a line: what --dry-run prints, and what a run does. */
export function describePlan(plan: MigrationPlan, o: PlanOptions): string[] {
  const steps: string[] = [];
  const unplugged = plan.moves.filter((m) => m.unplug);
  for (const m of unplugged) {
    steps.push(`unplug ${m.nic.label} from the running guest on ${plan.source}${m.nic.vf ? `; put VF ${m.nic.vf} back as it was and free it` : ''}`);
  }
  const how = [o.live ? 'live' : 'paused while it moves', o.persistent ? 'defined there' : 'transient there', o.undefineSource ? 'undefined here' : 'still defined here'];
  const failover = plan.moves.filter((m) => !m.unplug);
  steps.push(`migrate ${plan.domain} to ${plan.dest} through libvirt (${how.join(', ')}${o.timeoutS ? `; suspended if not done in ${o.timeoutS} s` : ''})`
    + (failover.length ? `; libvirt unplugs its failover VF${failover.length > 1 ? 's' : ''} first (the guest's traffic on the virtio-net standby)` : ''));
  for (const m of failover) steps.push(`${m.nic.label} arrives on ${destTarget(m)}, set up by the destination's hooks before QEMU runs`);
  for (const m of unplugged) steps.push(`plug ${m.nic.label} in on ${destTarget(m)}, with its MAC, VLAN and settings on the VF before the guest sees it`);
  steps.push(`any failure before the guest runs on ${plan.dest}: it stays on ${plan.source} with its VFs plugged back in and set as before`);
  return steps;
}

function destTarget(m: NicMove): string {
  return m.to === 'pool' ? `the destination's hostdev network ${m.network} (libvirt picks the VF)` : `VF ${m.vf} of the destination's ${m.pf} (${m.by})`;
}
