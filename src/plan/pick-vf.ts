/** Choosing a free VF from a PF's VFs, in order. Pure. */
export function pickFreeVf(vfs: readonly string[], taken: ReadonlySet<string>): string | null {
  return vfs.find((pci) => pci && !taken.has(pci)) ?? null;
}
