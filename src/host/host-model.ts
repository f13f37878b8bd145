/**
 * The host's SR-IOV NICs as plain data: each PF with its VF limit and count, and each VF's PCI
 * address, netdev, driver, IOMMU group and the state its PF reports. Read only.
 */
import { countsVfTraffic } from '../drivers/driver-profiles.js';
import { OperationError } from '../errors.js';
import { formatPciAddress, parsePciAddress, vfIndexIn, type PciAddress, type VfLayout } from '../model/pci-address.js';
import type { IpTool } from './ip.js';
import type { VfState, VfStats } from './ip-link.js';
import type { Sysfs } from './sysfs.js';

export interface VfInfo {
  readonly vf: number;
  readonly pci: string;
  /** null when no host driver binds it (vfio-pci while a guest holds it). */
  readonly netdev: string | null;
  readonly driver: string | null;
  readonly iommuGroup: number | null;
  /** What the PF reports for this VF; null if it reports nothing. */
  readonly state: VfState | null;
  /** The counters of the VF's own netdev (bound to its host driver), when read with `traffic`. */
  readonly netdevStats: VfStats | null;
}

export interface PfInfo {
  readonly name: string;
  readonly pci: string;
  readonly driver: string | null;
  readonly totalVfs: number;
  readonly numVfs: number;
  readonly up: boolean;
  readonly vfs: readonly VfInfo[];
}

export interface HostModel {
  readonly pfs: readonly PfInfo[];
}

/** Netdevs whose device can have VFs (sriov_totalvfs exists), sorted by name. */
export function listPfNames(sysfs: Sysfs): string[] {
  return sysfs.list('class/net').filter((n) => sysfs.exists(`class/net/${n}/device/sriov_totalvfs`)).sort();
}

/** The PF's sysfs facts without asking `ip`: what a hook needs to find or create VFs. */
export function readPfSysfs(sysfs: Sysfs, name: string): Omit<PfInfo, 'up' | 'vfs'> & { vfAddresses: string[] } {
  const dev = `class/net/${name}/device`;
  const vfAddresses: string[] = [];
  for (const entry of sysfs.list(dev)) {
    const m = /^virtfn(\d+)$/.exec(entry);
    if (m) vfAddresses[Number(m[1])] = sysfs.linkName(`${dev}/${entry}`) ?? '';
  }
  return {
    name,
    pci: sysfs.linkName(dev) ?? '',
    driver: sysfs.linkName(`${dev}/driver`),
    totalVfs: Number(sysfs.read(`${dev}/sriov_totalvfs`) ?? 0),
    numVfs: Number(sysfs.read(`${dev}/sriov_numvfs`) ?? 0),
    vfAddresses,
  };
}

export function readVfSysfs(sysfs: Sysfs, index: number, pci: string, state: VfState | null): VfInfo {
  const dev = `bus/pci/devices/${pci}`;
  const group = sysfs.linkName(`${dev}/iommu_group`);
  return {
    vf: index,
    pci,
    netdev: sysfs.list(`${dev}/net`)[0] ?? null,
    driver: sysfs.linkName(`${dev}/driver`),
    iommuGroup: group === null ? null : Number(group),
    state,
    netdevStats: null,
  };
}

const NETDEV_COUNTERS = ['rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets', 'multicast', 'rx_dropped', 'tx_dropped'] as const;

/** A netdev's counters from sysfs (class/net/NAME/statistics); null when they can't be read. */
export function readNetdevStats(sysfs: Sysfs, netdev: string): VfStats | null {
  const values: number[] = [];
  for (const c of NETDEV_COUNTERS) {
    const v = Number(sysfs.read(`class/net/${netdev}/statistics/${c}`) ?? NaN);
    if (!Number.isFinite(v)) return null; // gone (unbound meanwhile), or no statistics: none, not a partial set
    values.push(v);
  }
  const [rxBytes, rxPackets, txBytes, txPackets, multicast, rxDropped, txDropped] = values as [number, number, number, number, number, number, number];
  return { rxBytes, rxPackets, txBytes, txPackets, multicast, broadcast: null, rxDropped, txDropped };
}

export interface ReadOptions {
  /** Each VF's traffic too: the PF's counters (`ip -s`, in the same one read) and a bound VF's netdev counters. */
  readonly traffic?: boolean;
}

/**
 * These PFs (every one by default), read with one `ip` process. It is started before the first
 * await, so a caller can do other work while it runs.
 */
export async function readHost(sysfs: Sysfs, ip: IpTool, names: readonly string[] = listPfNames(sysfs), options: ReadOptions = {}): Promise<HostModel> {
  const reading = ip.showAll(names, { stats: options.traffic });
  const pfs = await Promise.all(names.map(async (name, i) => {
    const { vfAddresses, ...pf } = readPfSysfs(sysfs, name);
    const link = (await reading)[i]!;
    const states = new Map<number, VfState>();
    for (const v of link.vfs) if (!states.has(v.vf)) states.set(v.vf, v); // a lookup per VF: 1024 VFs make a scan O(n²)
    const vfs = vfAddresses.map((pci, i) => {
      const vf = readVfSysfs(sysfs, i, pci, states.get(i) ?? null);
      // the netdev's counters only where the PF's don't tell (7 sysfs reads a VF: 7,168 at 1,024 VFs)
      const needed = options.traffic && vf.netdev && !(countsVfTraffic(pf.driver) && vf.state?.stats);
      return needed ? { ...vf, netdevStats: readNetdevStats(sysfs, vf.netdev!) } : vf;
    });
    return { ...pf, up: link.up, vfs };
  }));
  return { pfs };
}

/** Where a VF sits: its PF's PCI address and its index there, from `physfn` and `virtfnN`. */
export function locateVf(sysfs: Sysfs, vf: PciAddress): { pfPci: string; index: number } | null {
  const addr = formatPciAddress(vf);
  const pfPci = sysfs.linkName(`bus/pci/devices/${addr}/physfn`);
  if (!pfPci) return null;
  for (const entry of sysfs.list(`bus/pci/devices/${pfPci}`)) {
    const m = /^virtfn(\d+)$/.exec(entry);
    if (m && sysfs.linkName(`bus/pci/devices/${pfPci}/${entry}`) === addr) return { pfPci, index: Number(m[1]) };
  }
  return null;
}

/** A PF's VF layout from its SR-IOV capability (sysfs), or null when it doesn't say. */
export function readVfLayout(sysfs: Sysfs, pf: string): VfLayout | null {
  const dev = `class/net/${pf}/device`;
  const pci = sysfs.linkName(dev);
  const [offset, stride, total] = ['sriov_offset', 'sriov_stride', 'sriov_totalvfs'].map((f) => sysfs.read(`${dev}/${f}`));
  if (!pci || offset == null || stride == null || total == null) return null;
  try {
    return { pf: parsePciAddress(pci), offset: Number(offset), stride: Number(stride), totalVfs: Number(total) };
  } catch {
    return null;
  }
}

/**
 * Which PF makes the VF at this address, and its index there, from each PF's SR-IOV capability:
 * found even while the VF doesn't exist (after a reboot), with nothing in the config.
 */
export function pfMakingVf(sysfs: Sysfs, vf: PciAddress): { pf: string; index: number } | null {
  for (const pf of listPfNames(sysfs)) {
    const layout = readVfLayout(sysfs, pf);
    const index = layout ? vfIndexIn(layout, vf) : null;
    if (index !== null) return { pf, index };
  }
  return null;
}

export function isVf(sysfs: Sysfs, address: PciAddress): boolean {
  return sysfs.exists(`bus/pci/devices/${formatPciAddress(address)}/physfn`);
}

/** A VF's driver, and its netdev when the host has it up (pool/vf-use.ts: whether it is in use). */
export function readVfBinding(sysfs: Sysfs, pci: string): { driver: string | null; upNetdev: string | null } {
  const netdev = sysfs.list(`bus/pci/devices/${pci}/net`)[0];
  return { driver: boundDriver(sysfs, pci), upNetdev: netdev && sysfs.read(`class/net/${netdev}/operstate`) === 'up' ? netdev : null };
}

/** The driver a PCI device is bound to, as sysfs names it (null: none). */
export function boundDriver(sysfs: Sysfs, pci: string): string | null {
  return sysfs.linkName(`bus/pci/devices/${pci}/driver`);
}

/** The netdev name of a PF from its PCI address. */
export function pfNetdev(sysfs: Sysfs, pfPci: string): string | null {
  return sysfs.list(`bus/pci/devices/${pfPci}/net`)[0] ?? null;
}


/** The kernel adds the VFs' PCI devices during the sriov_numvfs write; allow a slow one a few seconds. */
export async function waitForVfs(sysfs: Sysfs, pf: string, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { vfAddresses } = readPfSysfs(sysfs, pf);
    const present = vfAddresses.filter((a) => a && sysfs.exists(`bus/pci/devices/${a}`)).length;
    if (present === n && vfAddresses.length === n) return;
    if (Date.now() > deadline) {
      throw new OperationError(`${pf}: asked for ${n} VFs, but ${present} are there after ${timeoutMs / 1000} s`, 'check `dmesg` for the driver\'s reason');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
