/**
 * Which counters tell a VF's traffic, and where they come from. Pure, over what the host read:
 * the PF's per-VF counters (`ip -s`) where its driver keeps them (the driver table's vfStats),
 * else the counters of the VF's own netdev while a host driver binds it. A VF with neither has
 * no counters (null): shown as such, never as zero traffic.
 */
import { countsVfTraffic, profileOf } from '../drivers/driver-profiles.js';
import type { VfStats } from '../host/ip-link.js';
import type { PfInfo, VfInfo } from '../host/host-model.js';
import type { VfHolder } from '../pool/vf-holders.js';

/** pf: the PF's count for the VF, whoever holds it; netdev: the VF's netdev on this host. */
export type CounterSource = 'pf' | 'netdev';

export interface VfCounters extends VfStats {
  readonly source: CounterSource;
}

export function vfCounters(pf: Pick<PfInfo, 'driver'>, vf: Pick<VfInfo, 'state' | 'netdevStats'>): VfCounters | null {
  // a known driver without ndo_get_vf_stats prints zeros
  if (countsVfTraffic(pf.driver) && vf.state?.stats) return { source: 'pf', ...vf.state.stats };
  if (vf.netdevStats) return { source: 'netdev', ...vf.netdevStats };
  return null;
}

/** Why a VF shows no counters, in an admin's words; null when it has them. */
export function whyNoCounters(pf: Pick<PfInfo, 'driver'>, vf: Pick<VfInfo, 'state' | 'netdevStats'>): string | null {
  if (vfCounters(pf, vf)) return null;
  const driver = pf.driver ?? 'no driver';
  if (profileOf(pf.driver)?.vfStats === false) {
    return `${driver} does not count traffic per VF (no ndo_get_vf_stats): a VF shows counters only while a host driver binds it`;
  }
  return `the PF reported no per-VF counters (ip -s -j link shows no vfinfo_list stats: a kernel before 4.2, or an old iproute2)`;
}

/** Each reason some VF of these PFs shows no counters, once: a line under a table, not one per VF. */
export function noCounterReasons(pfs: readonly PfInfo[]): string[] {
  return [...new Set(pfs.flatMap((pf) => pf.vfs.map((vf) => whyNoCounters(pf, vf)).filter((w): w is string => w !== null)))];
}

/**
 * The guest whose traffic a VF carries: only a running holder's. A domain that names the VF but
 * doesn't run leaves it to the host (or to nobody), whatever its counters say.
 */
export function trafficOwner(holders: ReadonlyMap<string, VfHolder>, pci: string): VfHolder | null {
  const h = holders.get(pci);
  return h?.running ? h : null;
}
