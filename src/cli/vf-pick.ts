/**
 * Picking free VFs for the write commands, under the pool lock so that concurrent `attach` and
 * `define` calls never pick the same one: the lock is held until the caller has defined the
 * domain that names the VF, which is what marks it taken for the next caller.
 */
import { OperationError } from '../errors.js';
import { readVfBinding } from '../host/host-model.js';
import { domainDefinitions } from '../pool/domain-definitions.js';
import { pfVfs } from '../pool/pf-vfs.js';
import { withPoolLock } from '../pool/pool-lock.js';
import { vfHolders } from '../pool/vf-holders.js';
import { describeVfUse, vfUse } from '../pool/vf-use.js';
import { stateStore } from '../state/state-store.js';
import type { CommandContext } from './command-context.js';

export async function withFreeVfs<T>(ctx: CommandContext, pfs: readonly string[], use: (vfs: string[]) => Promise<T> | T): Promise<T> {
  if (pfs.length === 0) return use([]);
  return withPoolLock(ctx.config.stateDir, async () => {
    const conn = ctx.libvirt;
    const local = ctx.local;
    const records = local ? stateStore(ctx.config.stateDir).all() : [];
    const holders = vfHolders(domainDefinitions(conn), records);
    const picked = new Set<string>();
    const vfs = pfs.map((pf) => {
      const all = pfVfs(pf, local ? { sysfs: ctx.host.sysfs } : { conn });
      const use = (pci: string) => vfUse(holders.get(pci), local ? readVfBinding(ctx.host.sysfs, pci) : null);
      const free = all.find((pci) => pci && !picked.has(pci) && !use(pci));
      if (!free) {
        const held = all.map((pci) => `${pci} (${picked.has(pci) ? 'this call' : describeVfUse(use(pci)!)})`);
        throw new OperationError(`no free VF on ${pf}: ${all.length ? `all ${all.length} are taken: ${held.join(', ')}` : 'it has no VFs'}`,
          `free one (virt-sriov detach DOMAIN --vf PCI), or add VFs: virt-sriov vfs ${pf} --count N`);
      }
      picked.add(free);
      return free;
    });
    return use(vfs);
  });
}

export async function freeVfOn(ctx: CommandContext, pf: string): Promise<string> {
  return withFreeVfs(ctx, [pf], ([vf]) => vf!);
}
