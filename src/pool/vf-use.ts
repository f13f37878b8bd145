/**
 * One rule for "is this VF in use?", for everything that picks a free VF (attach, define,
 * migrate), removes or re-creates VFs (vfs --count, the hooks' VF counts) or shows them (vfs).
 * A VF is in use when
 * - a guest holds it: a libvirt definition names it (running or not), or a record of the hooks
 *   says a running guest has it (a network-style guest's VF is named nowhere else); vf-holders.ts;
 * - it is bound to vfio-pci: something has it, a guest libvirt has not told of yet (a start under
 *   way, a hook that can't ask libvirt) or a program outside libvirt (DPDK);
 * - the host uses it: its netdev is up.
 * Only the first can be a definition alone: the others are uses now. Each caller gives what it
 * can read (a hook can't ask libvirt; on a remote host sysfs is not ours to read). Pure.
 */
import type { VfHolder } from './vf-holders.js';

/** What this host's sysfs says of a VF (host-model.ts readVfBinding). */
export interface VfBinding {
  readonly driver: string | null;
  /** Its netdev, when the host has it up. */
  readonly upNetdev: string | null;
}

export type VfUse =
  | { readonly by: 'guest'; readonly holder: VfHolder }
  | { readonly by: 'vfio-pci' }
  | { readonly by: 'host'; readonly netdev: string };

/** The driver a VF is bound to while a guest (or a program outside libvirt) has it. */
export function isGuestDriver(driver: string | null | undefined): boolean {
  return driver === 'vfio-pci';
}

export function vfUse(holder: VfHolder | undefined, binding: VfBinding | null): VfUse | null {
  if (holder) return { by: 'guest', holder };
  if (isGuestDriver(binding?.driver)) return { by: 'vfio-pci' };
  if (binding?.upNetdev) return { by: 'host', netdev: binding.upNetdev };
  return null;
}

/** In use now, not only named by a guest's definition: destroying the VF would take it from someone. */
export function inUseNow(use: VfUse | null): boolean {
  return !!use && (use.by !== 'guest' || use.holder.running);
}

/** Who uses it, in the admin's terms: the guest's name, vfio-pci, or the host and its netdev. */
export function describeVfUse(use: VfUse): string {
  switch (use.by) {
    case 'guest': return use.holder.domain;
    case 'vfio-pci': return 'vfio-pci';
    case 'host': return `the host (${use.netdev} is up)`;
  }
}
