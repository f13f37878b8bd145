/**
 * The VF port: the one narrow, typed way the hooks, the CLI's live changes and the watcher
 * read and change VFs, as sriov-cni's NetlinkManager is for it. An operation is plain data
 * (which VF, which setting, what value); how it reaches the kernel is the port's business.
 * `ipVfPort` is the port over iproute2: every operation of a call in one `ip -batch -`
 * (rendered by ip-link.ts), a PF's VFs read with `ip -j link show`.
 */
import { isVirtSriovError, OperationError } from '../errors.js';
import type { LinkState, Vlan } from '../model/vf-settings.js';
import { ipFailure, type IpTool } from './ip.js';
import { ipLinkWords, type PfLink } from './ip-link.js';

/** A VF as the kernel addresses it: its PF and its index there. */
export interface VfAt {
  readonly pf: string;
  readonly index: number;
}

/** One setting of a VF, and the value it gets. */
export type VfSetting =
  | { readonly key: 'mac'; readonly value: string }
  /** null: untagged (VLAN 0). */
  | { readonly key: 'vlan'; readonly value: Vlan | null }
  | { readonly key: 'spoofchk' | 'trust' | 'queryRss'; readonly value: boolean }
  | { readonly key: 'linkState'; readonly value: LinkState }
  /** Both rates at once, Mbit/s (0: no limit): the kernel checks min <= max against the pair it is given. */
  | { readonly key: 'txRate'; readonly value: { readonly min: number; readonly max: number } };

export type VfOpKey = VfSetting['key'];

/** One change to one VF. */
export type VfOp = VfSetting & { readonly vf: VfAt };

/**
 * What changing VFs failed at: the operation the driver refused (its place in the list given to
 * `apply`; null when the tool named none), the kernel's reason, and the command as the port ran
 * it, for the admin to try by hand. The operations before it took effect, none after it.
 */
export class VfOpsFailed extends OperationError {
  constructor(
    message: string,
    readonly failedAt: number | null,
    readonly reason: string,
    readonly command: string | null,
  ) {
    super(message);
  }
}

/** Whether `e` is a VfOpsFailed, judged by its data as errors.ts asks (whichever bundle made it). */
export function isVfOpsFailed(e: unknown): e is VfOpsFailed {
  return isVirtSriovError(e, 'operation') && 'failedAt' in e && 'reason' in e && 'command' in e;
}

export interface VfPort {
  /** Each PF with its VFs as its driver reports them, in order (one read for all). */
  readPfs(pfs: readonly string[]): Promise<PfLink[]>;
  /** Every operation, in order, in one go; throws VfOpsFailed naming the one refused. */
  apply(ops: readonly VfOp[]): Promise<void>;
  /** Bring a PF's link up (a VF's MAC can be set only on a PF that is up). */
  bringUp(pf: string): Promise<void>;
}

/** The port over iproute2's `ip`. */
export function ipVfPort(ip: IpTool): VfPort {
  const run = async (lines: readonly (readonly string[])[]) => {
    if (lines.length === 0) return;
    try {
      await ip.batch(lines);
    } catch (e) {
      const message = (e as Error).message;
      const { command: at, reason } = ipFailure(message);
      const failedAt = at !== null && at < lines.length ? at : null;
      throw new VfOpsFailed(message, failedAt, reason, failedAt === null ? null : `ip ${lines[failedAt]!.join(' ')}`);
    }
  };
  return {
    readPfs: (pfs) => ip.showAll(pfs),
    apply: async (ops) => run(ops.map(ipLinkWords)),
    bringUp: async (pf) => run([['link', 'set', 'dev', pf, 'up']]),
  };
}
