/**
 * How to bring a PF to a VF count through sysfs, where a non-zero count can only change by
 * going through 0, and 0 destroys every VF: never while a guest holds one. Pure.
 */
export type VfCountPlan =
  | { readonly kind: 'ok'; readonly writes: readonly number[] }
  | { readonly kind: 'impossible'; readonly why: string; readonly fix: string };

export function planVfCount(pf: string, current: number, wanted: number, total: number, inUse: readonly string[]): VfCountPlan {
  if (wanted > total) {
    return { kind: 'impossible', why: `${pf} offers at most ${total} VFs, ${wanted} were asked for`,
      fix: total === 0 ? 'enable SR-IOV in the BIOS and in the NIC\'s settings' : `ask for ${total} VFs or fewer` };
  }
  // hooks only ever add VFs: fewer than asked is the only case to act on
  if (current >= wanted) return { kind: 'ok', writes: [] };
  if (current === 0) return { kind: 'ok', writes: [wanted] };
  if (inUse.length) {
    return { kind: 'impossible', why: `${pf} has ${current} VFs and needs ${wanted}, but going through 0 would destroy VFs in use by ${inUse.join(', ')}`,
      fix: `stop those guests first, or raise ${pf}'s VF count while no guest uses its VFs (virt-sriov vfs ${pf} --count ${wanted})` };
  }
  return { kind: 'ok', writes: [0, wanted] };
}

export interface VfHolderInfo {
  readonly index: number;
  readonly pci: string;
  /** The guest, or who else uses the VF (pool/vf-use.ts describeVfUse). */
  readonly domain: string;
  /** In use now (a running guest, vfio-pci, the host), not only named by a definition. */
  readonly running: boolean;
  /** false: not a guest (vfio-pci, the host). */
  readonly guest?: boolean;
}

/**
 * An admin's change of a PF's VF count (`virt-sriov vfs --count`), up or down. Writing 0 (the
 * way from one non-zero count to another) destroys every VF: never while a guest runs on one.
 * Going down removes the top VFs: never while a defined guest is pinned to one of them.
 */
export function planVfCountChange(pf: string, current: number, wanted: number, total: number, holders: readonly VfHolderInfo[]): VfCountPlan {
  if (wanted > total) return planVfCount(pf, current, wanted, total, []);
  if (wanted === current) return { kind: 'ok', writes: [] };
  const destroyed = current === 0 ? [] : holders.filter((h) => h.running || h.index >= wanted);
  if (destroyed.length) {
    const who = destroyed.map((h) => `VF ${h.index} (${h.pci}) held by ${h.domain}${h.running && h.guest !== false ? ' (running)' : ''}`).join(', ');
    return { kind: 'impossible', why: `${pf}: changing ${current} to ${wanted} VFs would take away ${who}`,
      fix: 'stop those guests or detach their VFs (virt-sriov detach DOMAIN --vf PCI) first' };
  }
  return { kind: 'ok', writes: current === 0 || wanted === 0 ? [wanted] : [0, wanted] };
}
