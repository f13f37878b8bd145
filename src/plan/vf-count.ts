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
