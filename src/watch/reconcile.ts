/**
 * The watcher's decision, as pure code over plain data: given one running guest's VFs (from
 * its live XML) and virt-sriov's state records, what must happen so that every VF the guest has
 * carries exactly its settings, and every VF it no longer has is restored and free. libvirt runs
 * no hook on hot-plug or unplug, so this is how plain `virsh attach-device` / `detach-device`,
 * an event lost while the watcher was down, or a driver that wiped a VF's settings are caught up.
 *
 * The same decision serves an event, a reconcile at start and a PF that came back: it looks at
 * what is, never at which event said so, so a lost or duplicated event changes nothing.
 */
import type { VfSettings } from '../model/vf-settings.js';
import type { VfRef } from '../plan/vf-snapshot.js';
import { holds, sameOwner, type Owner, type VfRecord } from '../state/vf-record.js';
import type { Style } from '../xml/devices/device-fields.js';

/** A VF-pinned SR-IOV device of a running guest, located on its PF. */
export interface GuestVf {
  readonly vf: VfRef;
  /** How the admin names it: "hostdev 0000:01:10.2", "interface 52:54:00:aa:00:01". */
  readonly label: string;
  readonly style: Style;
  /** Everything the guest asks of the VF (XML and metadata). */
  readonly settings: VfSettings;
}

export interface RunningGuest {
  readonly owner: Owner;
  readonly vfs: readonly GuestVf[];
  /**
   * VFs the guest is yet to get: readied here by an incoming migration's prepare hook, plugged in
   * by `virt-sriov migrate` once the guest runs here (its XML's <sriov:arriving> until then).
   */
  readonly arriving?: ReadonlySet<string>;
}

export type WatchAction =
  /** The guest has a VF virt-sriov has no claim for: hot-plugged behind its back. Its settings go on, and it is recorded. */
  | { readonly kind: 'plugged'; readonly owner: Owner; readonly device: GuestVf }
  /** virt-sriov records a VF for the guest that the guest no longer has: unplugged. Restored and freed. */
  | { readonly kind: 'unplugged'; readonly record: VfRecord }
  /** A VF the guest has and virt-sriov records: its live settings are checked against the record, drift repaired. */
  | { readonly kind: 'check'; readonly record: VfRecord }
  /**
   * A network's VF the guest has, still only claimed by port-created: hot-plugged with plain virsh
   * (no qemu hook runs then), or by an `attach --live` that died before it settled the VF. Its
   * settings go on, and it is the running guest's.
   */
  | { readonly kind: 'settle'; readonly record: VfRecord; readonly device: GuestVf }
  /** The guest has a VF that virt-sriov records as another guest's: nothing is touched, the admin is told. */
  | { readonly kind: 'conflict'; readonly device: GuestVf; readonly record: VfRecord };

/** `announced`: VFs an `attach --live` is hot-plugging right now (state/pending-plug.ts): it settles them itself. */
export function planGuest(guest: RunningGuest, records: readonly VfRecord[], announced: ReadonlySet<string> = new Set()): WatchAction[] {
  const byPci = new Map(records.map((r) => [r.pci, r]));
  const actions: WatchAction[] = [];
  for (const device of guest.vfs) {
    const record = byPci.get(device.vf.pci);
    if (!record || !holds(record)) actions.push({ kind: 'plugged', owner: guest.owner, device });
    else if (!sameOwner(record.owner, guest.owner)) actions.push({ kind: 'conflict', device, record });
    else if (record.phase === 'running') actions.push({ kind: 'check', record });
    // claimed by port-created and in the guest: no qemu hook will finish it. (A guest being
    // started gets the same settings from its start hook: settling it first changes nothing.)
    else if (record.network !== null && !announced.has(record.pci)) actions.push({ kind: 'settle', record, device });
    // otherwise claimed: a start or `attach --live` is under way and finishes the VF itself
  }
  const has = new Set(guest.vfs.map((d) => d.vf.pci));
  for (const record of records) {
    // claimed: `attach --live` readies a VF before libvirt plugs it in. A network's VF is
    // released by the network hook's port-deleted, which libvirt runs on unplug too.
    // arriving: readied for a NIC not plugged in yet (held all the same: `release` puts it back)
    if (sameOwner(record.owner, guest.owner) && record.phase === 'running' && record.network === null && !has.has(record.pci)
      && !guest.arriving?.has(record.pci)) {
      actions.push({ kind: 'unplugged', record });
    }
  }
  return actions;
}
