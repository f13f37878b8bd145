/**
 * Whether a held VF carries what its guest asked for: the watcher's rule for drift (act.ts puts
 * right what it finds) and what `status` shows, one rule. Only a VF its guest runs with (its
 * record `running`) is judged: a claimed one is being set up, a stopped one is free.
 */
import type { DriverProfile } from '../drivers/driver-profiles.js';
import { formatValue, mismatches, type SnapshotKey, type VfSnapshot } from '../plan/vf-snapshot.js';
import type { VfRecord } from '../state/vf-record.js';

/** One setting the VF has that its guest didn't ask for, both as the log and `ip` write them. */
export interface Drift {
  readonly setting: SnapshotKey;
  readonly asked: string;
  readonly live: string;
}

/**
 * The settings whose live value is not what the guest asked for (empty: the VF is as asked);
 * null when the record is not a running guest's. A setting the driver can't report, or reports
 * fixed, is not judged (mismatches).
 */
export function driftOf(record: VfRecord, live: VfSnapshot, profile: DriverProfile | null): Drift[] | null {
  if (record.phase !== 'running') return null;
  return mismatches(record.guest, live, profile).map((setting) => ({ setting, asked: formatValue(setting, record.guest), live: formatValue(setting, live) }));
}

/** "vlan none, not 403; trust off, not on". */
export function describeDrift(drift: readonly Drift[]): string {
  return drift.map((d) => `${d.setting} ${d.live}, not ${d.asked}`).join('; ');
}
