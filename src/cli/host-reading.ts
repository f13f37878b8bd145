/**
 * The host as `status`, `metrics` and `top` show it: every PF with its VFs and their traffic
 * (one `ip -s -j` per PF), and which guest holds each VF (libvirt's domains and the hooks'
 * records, asked while `ip` runs). The VFs still show when libvirt can't be asked.
 */
import { OperationError } from '../errors.js';
import { listPfNames, readHost, type HostModel } from '../host/host-model.js';
import { domainDefinitions } from '../pool/domain-definitions.js';
import { vfHolders, type VfHolder } from '../pool/vf-holders.js';
import { stateStore } from '../state/state-store.js';
import type { VfRecord } from '../state/vf-record.js';
import type { CommandContext } from './command-context.js';

export interface HostReading {
  readonly host: HostModel;
  readonly holders: Map<string, VfHolder>;
  /** The hooks' (and the watcher's) records: what each held VF's guest asked for. */
  readonly records: readonly VfRecord[];
}

/** `pfs`: the PFs to read (already checked). Closes the libvirt connection when done with it. */
export async function readHostWithHolders(ctx: CommandContext, pfs: readonly string[]): Promise<HostReading> {
  const { sysfs, ip } = ctx.host;
  const reading = readHost(sysfs, ip, pfs, { traffic: true });
  reading.catch(() => undefined); // awaited below; not an unhandled rejection if libvirt throws first
  let holders = new Map<string, VfHolder>();
  const records = pfs.length ? stateStore(ctx.config.stateDir).all() : [];
  try {
    if (pfs.length) holders = holdersOrNote(ctx, records);
  } finally {
    ctx.close();
  }
  return { host: await reading, holders, records };
}

function holdersOrNote(ctx: CommandContext, records: readonly VfRecord[]): Map<string, VfHolder> {
  try {
    return vfHolders(domainDefinitions(ctx.libvirt), records);
  } catch (e) {
    ctx.note(`not showing which guests hold VFs: ${(e as Error).message.split('\n')[0]}`);
    return vfHolders([], records);
  }
}

/** Every PF of this host, or the one --pf names (refused, with why, when it is no PF). */
export function selectPfs(ctx: CommandContext, pf: string | undefined): string[] {
  const { sysfs } = ctx.host;
  const names = listPfNames(sysfs);
  if (pf && !names.includes(pf)) {
    throw new OperationError(`${pf} is not an SR-IOV PF on this host`,
      sysfs.exists(`class/net/${pf}`) ? `it offers no VFs (no sriov_totalvfs): \`virt-sriov doctor\` says why (the NIC, its driver, the kernel, the IOMMU or the BIOS)`
        : 'see `ip link` for the interface names');
  }
  return pf ? [pf] : names;
}
