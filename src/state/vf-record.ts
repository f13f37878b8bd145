/**
 * What virt-sriov remembers about a VF a guest holds, one file per VF (as libvirt keeps its
 * own per-VF state in /run/libvirt/hostdevmgr): who holds it, what it was before, and what the
 * guest asked for, so `release` can put it back and make sure nothing of the guest's stays.
 */
import type { SnapshotKey, VfDesired, VfRef, VfSnapshot } from '../plan/vf-snapshot.js';
import type { Vlan } from '../model/vf-settings.js';
import type { Style } from '../xml/devices/device-fields.js';

export interface Owner {
  readonly name: string;
  readonly uuid: string | null;
}

export interface VfRecord extends VfRef {
  readonly owner: Owner;
  readonly style: Style | null;
  /** The hostdev network it came from, for network style (from port-created). */
  readonly network: string | null;
  /**
   * The VLAN libvirt gives the port (port-created's <networkport>): the interface's own, else
   * its portgroup's, else the network's. libvirt sets it on the VF; `start` keeps it.
   */
  readonly portVlan?: Vlan;
  /** The VF before the guest; null when it was adopted at reconnect without being seen before. */
  readonly original: VfSnapshot | null;
  /** What the guest's VF is set to while it runs. */
  readonly guest: VfDesired;
  /**
   * The keys changed on the VF for this guest: what a hook, `set --live` or the watcher wrote
   * (recorded before it is written), and the MAC and VLAN libvirt sets itself. Release restores
   * exactly these, then scrubs (plan/guest-vf.ts releasePlan). Absent in a record written before
   * it was kept: every saved key then counts as changed.
   */
  readonly changed?: readonly SnapshotKey[];
  /**
   * claimed: prepare or port-created took it; running: start set it up; stopped: put back at
   * `stopped`, kept until `release` so it can check once more, but free for another guest.
   */
  readonly phase: 'claimed' | 'running' | 'stopped';
  readonly updated: string;
}

export function sameOwner(a: Owner, b: Owner): boolean {
  return a.uuid && b.uuid ? a.uuid === b.uuid : a.name === b.name;
}

/** Whether the record keeps the VF from other guests. */
export function holds(r: VfRecord): boolean {
  return r.phase !== 'stopped';
}
