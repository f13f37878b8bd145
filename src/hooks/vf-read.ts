/** Reading VFs through the VF port: each PF once per read, a VF's settings as a snapshot. */
import { OperationError } from '../errors.js';
import type { PfLink } from '../host/ip-link.js';
import { describeVf, snapshotOf, type VfRef, type VfSnapshot } from '../plan/vf-snapshot.js';
import type { HookEnv } from './hook-env.js';

/** Read each PF once, all in one read of the port. */
export async function readPfs(env: HookEnv, pfs: Iterable<string>): Promise<Map<string, PfLink>> {
  const names = [...new Set(pfs)];
  const links = await env.vfPort.readPfs(names);
  return new Map(names.map((pf, i) => [pf, links[i]!]));
}

export function snapshotIn(links: Map<string, PfLink>, vf: VfRef): VfSnapshot {
  const state = links.get(vf.pf)?.vfs.find((v) => v.vf === vf.index);
  if (!state) {
    throw new OperationError(`${describeVf(vf)}: ${vf.pf} reports no VF ${vf.index}`, `check \`ip link show ${vf.pf}\`; the VFs may have been removed`);
  }
  return snapshotOf(state);
}
