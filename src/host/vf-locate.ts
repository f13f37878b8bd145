/**
 * Where a VF is (its PF and index, from sysfs) and what drives its PF (the driver table's entry):
 * read alike by the hooks, the CLI's live changes, the watcher and migrate.
 */
import { profileOf, type DriverProfile } from '../drivers/driver-profiles.js';
import { formatPciAddress, type PciAddress } from '../model/pci-address.js';
import type { VfRef } from '../plan/vf-snapshot.js';
import { locateVf, pfNetdev } from './host-model.js';
import type { Sysfs } from './sysfs.js';

export function resolveVf(env: { readonly sysfs: Sysfs }, address: PciAddress): VfRef | null {
  const at = locateVf(env.sysfs, address);
  if (!at) return null;
  const pf = pfNetdev(env.sysfs, at.pfPci);
  return pf ? { pf, index: at.index, pci: formatPciAddress(address) } : null;
}

/** The PF's driver as sysfs names it, and what virt-sriov knows of it (null: a driver it doesn't know). */
export function pfDriver(env: { readonly sysfs: Sysfs }, pf: string): { driver: string | null; profile: DriverProfile | null } {
  const driver = env.sysfs.linkName(`class/net/${pf}/device/driver`);
  return { driver, profile: profileOf(driver) };
}
