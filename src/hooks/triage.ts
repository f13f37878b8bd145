/**
 * Whether a hook call has anything for virt-sriov to do, judged from the raw text before any
 * parsing. Conservative: anything that might be an SR-IOV device goes to the full path.
 */
import type { HookName } from './run-hook.js';

export interface TriageFacts {
  /** The config names PFs (the daemon hook brings them to their VF counts). */
  readonly pfsConfigured: boolean;
  /** Some guest holds a VF in virt-sriov's state. */
  readonly vfsHeld: boolean;
}

/** A PCI host device, a hostdev or network interface, or virt-sriov metadata. */
const MAYBE_SRIOV = /<hostdev[\s>]|<interface\s[^>]*type\s*=\s*["'](?:hostdev|network)["']|virt-sriov\.org\/xmlns/;
const HOSTDEV_NETWORK = /<forward\s[^>]*mode\s*=\s*["']hostdev["']/;

export function needsWork(hook: HookName, op: string, stdin: string, facts: TriageFacts): boolean {
  if (hook === 'daemon') return facts.pfsConfigured;
  if (hook === 'network') return HOSTDEV_NETWORK.test(stdin);
  // stop and release put back what the state says the guest holds, whatever its XML says now
  if (op === 'stopped' || op === 'release') return facts.vfsHeld;
  return MAYBE_SRIOV.test(stdin);
}
