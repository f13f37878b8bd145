/**
 * qemu `migrate begin` and `restore begin`: the only operations whose stdout becomes the XML
 * libvirt uses. Where a VF-pinned device names a VF another guest holds here, point it at a
 * free VF of the same PF, else of another PF of this host that the config maps to the same
 * physical network (config/physical-networks.ts; the device model stays: libvirt checks ABI
 * stability). A VF this host doesn't have is left as it is: `prepare` makes it when a PF here makes a VF at that address,
 * and refuses otherwise; no PF is guessed. Everything else is printed as it came.
 */
import { hostname } from 'node:os';
import { samePhysnetPfs } from '../../config/physical-networks.js';
import { OperationError } from '../../errors.js';
import { locateVf, pfNetdev, readPfSysfs, readVfBinding } from '../../host/host-model.js';
import { formatPciAddress, parsePciAddress, pciAddressAttributes, type PciAddress } from '../../model/pci-address.js';
import { pickFreeVf } from '../../plan/pick-vf.js';
import { recordHolders } from '../../pool/vf-holders.js';
import { describeVfUse, vfUse } from '../../pool/vf-use.js';
import { sameOwner } from '../../state/vf-record.js';
import { child, type XmlElement } from '../../xml/dom.js';
import type { DomainXml } from '../../xml/domain.js';
import type { HookEnv, HookOutcome } from '../hook-env.js';

export async function migrateOrRestore(env: HookEnv, domain: DomainXml): Promise<HookOutcome> {
  const owner = { name: domain.name, uuid: domain.uuid };
  // a device whose VF isn't here isn't recognised as a VF by sysfs: take every PCI source into account
  const inDomain = new Set(domain.pciSources().map((s) => formatPciAddress(s.address)));
  const holders = recordHolders(env.state.all().filter((r) => !sameOwner(r.owner, owner)));
  const held = new Set(holders.keys());
  const taken = new Set([...held, ...inDomain]);
  for (const source of domain.pciSources()) {
    const pci = formatPciAddress(source.address);
    const exists = env.sysfs.exists(`bus/pci/devices/${pci}`);
    // taken as any VF is (pool/vf-use.ts): another guest's record, or bound to vfio-pci (a guest
    // here virt-sriov has no record of, or the source's own guest on a kernel both hosts share)
    const use = exists ? vfUse(holders.get(pci), readVfBinding(env.sysfs, pci)) : null;
    if (exists && !use) continue;
    const pf = exists ? pfFor(env, source.address) : null;
    if (!pf) {
      // prepare makes it if a PF here makes a VF at that address, else refuses, naming the fix
      if (!exists) env.report.note(`${source.label}: not on this host; left as it is (virt-sriov doesn't guess which PF here is on its network)`);
      continue;
    }
    // its own PF first, then the PFs mapped to its physical network: never any other
    const pfs = samePhysnetPfs(env.config.physicalNetworks, hostname(), pf).filter((p) => p === pf || env.sysfs.exists(`class/net/${p}/device/sriov_numvfs`));
    const found = pfs.map((p) => ({ pf: p, free: pickFreeVf(readPfSysfs(env.sysfs, p).vfAddresses.filter((v) => !vfUse(holders.get(v), readVfBinding(env.sysfs, v))), taken) }))
      .find((c) => c.free);
    if (!found?.free) {
      const by = !use || use.by === 'guest' ? 'held by another guest' : `in use here (${describeVfUse(use)})`;
      throw new OperationError(`domain ${domain.name}: ${source.label} is ${by}, and ${pfs.length > 1 ? `no PF of its physical network here (${pfs.join(', ')}) has a free VF` : `${pf} has no free VF`}`,
        `free a VF on ${pfs.join(' or ')} (stop a guest, or raise its VF count) and try again${pfs.length > 1 ? '' : `; a PF of the same physical network goes in the config's physicalNetworks`}`);
    }
    taken.add(found.free);
    repoint(domain, source.element, source.address, parsePciAddress(found.free));
    env.report.note(`${source.label} -> VF ${found.free} on ${found.pf}`);
  }
  return { exitCode: 0, result: 'ok', stdout: domain.toString() };
}

/**
 * The PF of a VF that is on this host. Never a guess: a VF address this host doesn't have says
 * nothing about which PF here is on the guest's physical network (the same PCI bus, the only PF,
 * the only configured one can all be the wrong network).
 */
function pfFor(env: HookEnv, address: PciAddress): string | null {
  const here = locateVf(env.sysfs, address);
  return here ? pfNetdev(env.sysfs, here.pfPci) : null;
}

/** Point the device at another VF; settings keyed by the old address follow it. */
function repoint(domain: DomainXml, device: XmlElement, from: PciAddress, to: PciAddress): void {
  const address = child(device, 'source', 'address');
  if (!address) return;
  for (const [k, v] of Object.entries(pciAddressAttributes(to))) address.setAttribute(k, v);
  const entry = domain.metadata.find({ pci: from });
  if (entry) domain.metadata.put({ pci: to }, entry.settings, { pci: from });
}
