/**
 * One JSON line per hook call in the log (/var/log/libvirt/virt-sriov.log, mode 0640): when,
 * which hook and operation, for which domain or network, every VF change from what to what,
 * the result and how long it took. `virt-sriov logs` renders it for an admin.
 */
import { appendFileSync, chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LoggedChange {
  readonly pf: string;
  readonly vf: number;
  readonly pci: string;
  readonly setting: string;
  readonly from: string;
  readonly to: string;
}

/** Settings of one held VF that the watcher found drifted from its guest's and put right. */
export interface RepairedDrift {
  readonly pf: string;
  readonly vf: number;
  readonly pci: string;
  /** The settings put back, by their names in the state (vlan, trust, linkState, maxTxRate, ...). */
  readonly settings: readonly string[];
}

/** ok; refused: a check failed and the guest was stopped; failed: an error; ignored: not our operation. */
export const HOOK_RESULTS = ['ok', 'refused', 'failed', 'ignored'] as const;

export interface HookLogEntry {
  readonly time: string;
  /**
   * A hook; `cli`: a live change by virt-sriov attach, detach or set (no hook runs for those);
   * `watch`: the watcher, after plain virsh hot-plugged or unplugged a VF, or a VF's settings drifted.
   */
  readonly hook: 'qemu' | 'network' | 'daemon' | 'cli' | 'watch';
  readonly op: string;
  readonly subop: string;
  /** The domain or network name ('-' for the daemon). */
  readonly object: string;
  readonly result: (typeof HOOK_RESULTS)[number];
  readonly durationMs: number;
  readonly vfs: readonly string[];
  readonly changes: readonly LoggedChange[];
  readonly notes: readonly string[];
  readonly error?: string;
  /**
   * `watch`: the held VFs whose settings had drifted and were put right (each also in `changes`);
   * counted by `virt-sriov metrics` as virt_sriov_drift_repaired_total. Absent when none.
   */
  readonly repaired?: readonly RepairedDrift[];
  /** Run by `virt-sriov hook ...` (an admin's replay), not by libvirt. */
  readonly replay?: boolean;
}

export function appendLog(path: string, entry: HookLogEntry): void {
  mkdirSync(dirname(path), { recursive: true });
  let mode: number | null = null;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    // created by the append below
  }
  appendFileSync(path, JSON.stringify(entry) + '\n', { mode: 0o640 });
  // 0640 whatever the umask, and never looser (it names guests, their VFs, MACs and VLANs)
  if (mode === null || (mode & 0o137) !== 0) chmodSync(path, 0o640);
}
