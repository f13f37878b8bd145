/**
 * One host as `status -c URI` shows it, from what libvirt alone can say of it (no shell on the
 * host): its node devices (a PF's `<capability type='virt_functions'>`, a VF's
 * `phys_function`, the driver bound to each, the netdev on each with its link state) and its
 * domains' XML (who names which VF). Pure, over parsed node devices and domain XML texts.
 *
 * What libvirt's API can't say of a VF is said plainly, not guessed: its VLAN, QoS, trust,
 * spoofchk, link state, rates, query_rss, the MAC set on it through the PF and its traffic are
 * in the PF's netlink VF table (`ip link show PF`), which only a run on the host reads.
 */
import { mappedPfs, physnetsOf } from '../config/physical-networks.js';
import type { Config } from '../config/config.js';
import type { NodeDevice } from '../libvirt/node-device-xml.js';
import { formatPciAddress } from '../model/pci-address.js';
import { vfHolders, type DomainDefinition } from '../pool/vf-holders.js';
import { vfUse, type VfUse } from '../pool/vf-use.js';

/** The VF fields only a run on the host shows (`virt-sriov status` there). */
export const LOCAL_ONLY_FIELDS = ['VLAN', 'QoS', 'trust', 'spoofchk', 'link state', 'rates', 'query_rss', 'the MAC as set on the VF', 'traffic'] as const;

export interface HostFacts {
  readonly uri: string;
  /** libvirt's name for the host (virConnectGetHostname): the physicalNetworks key. */
  readonly hostname: string;
  /** Its PCI and net node devices. */
  readonly devices: readonly NodeDevice[];
  readonly domains: readonly DomainDefinition[];
}

export interface HostView {
  readonly uri: string;
  readonly hostname: string;
  readonly pfs: readonly PfView[];
}

export interface PfView {
  readonly pci: string;
  /** Its netdev ("eth1"), or null when none sits on it now. */
  readonly netdev: string | null;
  readonly driver: string | null;
  /** sriov_totalvfs, when libvirt says. */
  readonly totalVfs: number | null;
  readonly linkUp: boolean | null;
  /** The physical networks the config maps it to on this host. */
  readonly physnets: readonly string[];
  readonly vfs: readonly VfView[];
}

export interface VfView {
  readonly index: number;
  readonly pci: string;
  readonly driver: string | null;
  readonly netdev: string | null;
  /** libvirt has a node device for it: one it doesn't (gone between two reads) is never offered as free. */
  readonly listed: boolean;
  /** Who uses it (pool/vf-use.ts's rule), or null: free. */
  readonly use: VfUse | null;
}

export function hostView(facts: HostFacts, mapping: Config['physicalNetworks'] = {}): HostView {
  const byPci = new Map<string, NodeDevice>();
  const netOn = new Map<string, NodeDevice>(); // PCI node device name -> the netdev on it
  for (const d of facts.devices) {
    if (d.pci) byPci.set(formatPciAddress(d.pci.address), d);
    if (d.net && d.parent) netOn.set(d.parent, d);
  }
  const holders = vfHolders(facts.domains);
  const pfs: PfView[] = [];
  for (const [pci, d] of [...byPci].sort(([a], [b]) => a.localeCompare(b))) {
    if (!d.pci?.sriov) continue;
    const net = netOn.get(d.name)?.net ?? null;
    const vfs = d.pci.sriov.virtualFunctions.map((address, index): VfView => {
      const vfPci = formatPciAddress(address);
      const vf = byPci.get(vfPci);
      const vfNet = vf ? netOn.get(vf.name)?.net ?? null : null;
      const binding = vf ? { driver: vf.driver, upNetdev: vfNet?.linkUp ? vfNet.name : null } : null;
      return { index, pci: vfPci, driver: vf?.driver ?? null, netdev: vfNet?.name ?? null, listed: !!vf, use: vfUse(holders.get(vfPci), binding) };
    });
    pfs.push({
      pci, netdev: net?.name ?? null, driver: d.driver, totalVfs: d.pci.sriov.maxCount, linkUp: net?.linkUp ?? null,
      physnets: net ? physnetsOf(mapping, facts.hostname, net.name) : [], vfs,
    });
  }
  return { uri: facts.uri, hostname: facts.hostname, pfs };
}

/** The free VFs of the PFs a host has on a physical network, PF by PF in the config's order. */
export function freeVfsOn(view: HostView, mapping: Config['physicalNetworks'], physnet: string): { pf: string; vfs: string[] }[] {
  return mappedPfs(mapping, physnet, view.hostname).flatMap((name) => {
    const pf = view.pfs.find((p) => p.netdev === name);
    return pf ? [{ pf: name, vfs: pf.vfs.filter((v) => v.listed && !v.use).map((v) => v.pci) }] : [];
  });
}
