/**
 * The config's `physicalNetworks`: which PFs of which host are on which physical network. The
 * one way (with a hostdev network's name) virt-sriov matches a guest's VF on one host to a PF on
 * another: a PF in no mapping is on no known physical network, never "the only PF" or the one at
 * the same PCI address. Host names are libvirt's (virConnectGetHostname, `virsh hostname`,
 * which is gethostname(2), made a full name when it has no dot); a short name and a full name
 * match when their first labels are equal and neither says more than the other. Pure.
 */
import type { Config } from './config.js';

type Mapping = Config['physicalNetworks'];

/** Whether a config host key names the host libvirt calls `hostname`. */
export function sameHost(key: string, hostname: string): boolean {
  const a = key.toLowerCase().replace(/\.$/, '');
  const b = hostname.toLowerCase().replace(/\.$/, '');
  if (a === b) return true;
  // kvm1 matches kvm1.example.org; kvm1.a.org doesn't match kvm1.b.org
  return (!a.includes('.') || !b.includes('.')) && a.split('.')[0] === b.split('.')[0];
}

/** The PFs `host` has on `physnet`; empty when the mapping names neither. */
export function mappedPfs(mapping: Mapping, physnet: string, host: string): string[] {
  const hosts = mapping[physnet] ?? {};
  return [...new Set(Object.entries(hosts).filter(([key]) => sameHost(key, host)).flatMap(([, pfs]) => pfs))];
}

/** The physical networks `pf` of `host` is on (usually one), in the config's order. */
export function physnetsOf(mapping: Mapping, host: string, pf: string): string[] {
  return Object.keys(mapping).filter((physnet) => mappedPfs(mapping, physnet, host).includes(pf));
}

/** Every PF of `host` that shares a physical network with its `pf`, `pf` first. */
export function samePhysnetPfs(mapping: Mapping, host: string, pf: string): string[] {
  return [...new Set([pf, ...physnetsOf(mapping, host, pf).flatMap((n) => mappedPfs(mapping, n, host))])];
}
