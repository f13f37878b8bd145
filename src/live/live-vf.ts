/**
 * A VF for a running guest, handled by virt-sriov itself: libvirt runs no qemu hook when a
 * device is hot-plugged or unplugged. The same rules as the hooks' (guest-vf.ts, vf-write.ts),
 * in three steps around libvirt's own call:
 *  - readyVf, before the device reaches the guest: claim the VF, save its state, put every
 *    setting on it and check it took them; any failure puts it back as it was and claims nothing;
 *  - settleVf, once libvirt has plugged it in: libvirt sets MAC and VLAN itself for an
 *    <interface type='hostdev'> (from the XML): what it left different is put right; the VF is
 *    the running guest's;
 *  - undoVf when the attach failed (the VF exactly as it was), releaseVf when the guest let the
 *    VF go (restored as `release` restores, then free);
 * and changeVf for `set --live`, on a VF the guest has.
 * All under the `vfs` state lock, never held across a call to libvirt.
 */
import { OperationError } from '../errors.js';
import type { VfSettings, Vlan } from '../model/vf-settings.js';
import { changedAfter, guestDesired } from '../plan/guest-vf.js';
import { describeVf, desiredFromSettings, planChanges, provenBy, type VfChange, type VfDesired, type VfRef } from '../plan/vf-snapshot.js';
import { holds, sameOwner, type Owner, type VfRecord } from '../state/vf-record.js';
import type { Style } from '../xml/devices/device-fields.js';
import type { HookEnv } from '../hooks/hook-env.js';
import { refuseUnsupported } from '../hooks/qemu/prepare.js';
import { putBackVfs } from '../hooks/qemu/stop.js';
import { pfDriver } from '../host/vf-locate.js';
import { readPfs, snapshotIn } from '../hooks/vf-read.js';
import { applyAndCheck, putBackTouched, recordChanging, undoCall } from '../hooks/vf-write.js';

export interface LiveVf {
  readonly owner: Owner;
  /** The device as the admin names it: "VF 0000:01:10.0", "interface 52:54:00:...". */
  readonly label: string;
  readonly vf: VfRef;
  readonly style: Style;
  readonly network: string | null;
  /** Everything the guest asked for, wherever its style keeps it (XML or metadata). */
  readonly settings: VfSettings;
  /** The VLAN libvirt gives a network's port (VfRecord.portVlan). */
  readonly portVlan?: Vlan;
  /** claimed (default): settleVf makes it the running guest's once libvirt has plugged it in. */
  readonly phase?: 'claimed' | 'running';
}

export async function readyVf(env: HookEnv, t: LiveVf): Promise<VfRecord> {
  env.report.vfs.add(describeVf(t.vf));
  return env.state.locked(() => readyVfLocked(env, t));
}

/**
 * readyVf's work, for a caller that holds the `vfs` lock already: the network hook's
 * `port-created`, for a network-style NIC that `attach --live` announced (state/pending-plug.ts).
 */
export async function readyVfLocked(env: HookEnv, t: LiveVf): Promise<VfRecord> {
  const held = env.state.get(t.vf.pci);
  if (held && holds(held)) {
    throw new OperationError(`domain ${t.owner.name}: VF ${t.vf.pci} (${t.vf.pf} vf ${t.vf.index}) is held by guest ${held.owner.name}`,
      `give ${t.owner.name} another VF (\`virt-sriov status\` shows them), or detach it from ${held.owner.name} first`);
  }
  const now = snapshotIn(await readPfs(env, [t.vf.pf]), t.vf);
  refuseUnsupported(env, t.owner.name, { device: t, vf: t.vf }, now);
  const { profile } = pfDriver(env, t.vf.pf);
  const desired = guestDesired(t.settings, now, profile);
  const changes = planChanges(t.vf, provenBy(now, profile), desired);
  try {
    await applyAndCheck(env, changes, [{ vf: t.vf, desired, profile }]);
  } catch (e) {
    await putBackTouched(env, changes, new Map([[t.vf.pci, now]]));
    throw e;
  }
  const record: VfRecord = {
    ...t.vf, owner: t.owner, style: t.style, network: t.network, original: now, guest: desired,
    changed: changedAfter(null, changes.flatMap((c) => c.keys)), phase: t.phase ?? 'claimed', updated: new Date().toISOString(),
    ...(t.portVlan ? { portVlan: t.portVlan } : {}),
  };
  env.state.put(record);
  return record;
}

export async function settleVf(env: HookEnv, record: VfRecord): Promise<VfRecord> {
  return env.state.locked(async () => {
    const { profile } = pfDriver(env, record.pf);
    const now = snapshotIn(await readPfs(env, [record.pf]), record);
    const changes = planChanges(record, provenBy(now, profile), record.guest);
    const changed = recordChanging(env, record, record, changes);
    if (changes.length) {
      env.report.note(`${describeVf(record)}: libvirt left ${changes.map((c) => `${c.keys.join('/')} ${c.from}`).join(', ')}; put right`);
      await applyAndCheck(env, changes, [{ vf: record, desired: record.guest, profile }]);
    }
    const running: VfRecord = { ...record, changed, phase: 'running', updated: new Date().toISOString() };
    env.state.put(running);
    return running;
  });
}

/** The attach failed: every setting readyVf put on the VF goes back to what it was, and the claim goes. */
export async function undoVf(env: HookEnv, record: VfRecord): Promise<void> {
  await env.state.locked(async () => {
    const { profile } = pfDriver(env, record.pf);
    const changes = planChanges(record, provenBy(record.original ?? {}, profile), record.guest);
    await putBackTouched(env, changes, new Map([[record.pci, record.original ?? {}]]));
    env.state.remove(record.pci);
  });
}

/**
 * The guest let the VF go: restored as `release` restores (nothing of the guest's stays), and
 * free. False when the owner no longer holds it (the network hook's port-deleted was first).
 */
export async function releaseVf(env: HookEnv, pci: string, owner: Owner): Promise<boolean> {
  return env.state.locked(async () => {
    const record = env.state.get(pci);
    if (!record || !sameOwner(record.owner, owner)) return false;
    await putBackVfs(env, [record], 'release');
    return true;
  });
}

/**
 * `set --live`: change settings of a VF the running guest has, on the spot. What the driver
 * can't do is refused before anything changes; a change the VF doesn't take puts back all this
 * call changed. The record keeps what the guest now has, for `release` to take away. A VF with
 * no record (a guest started before virt-sriov was installed) is adopted as `reconnect` adopts.
 * `untag`: take the VLAN away (`set --vlan none`): the VF untagged, and the guest asking for none.
 */
export async function changeVf(env: HookEnv, owner: Owner, label: string, vf: VfRef, asked: VfSettings, untag = false): Promise<VfChange[]> {
  env.report.vfs.add(describeVf(vf));
  return env.state.locked(async () => {
    const held = env.state.get(vf.pci);
    if (held && holds(held) && !sameOwner(held.owner, owner)) {
      throw new OperationError(`domain ${owner.name}: VF ${vf.pci} (${vf.pf} vf ${vf.index}) is held by guest ${held.owner.name}`,
        'check which guest has it: `virt-sriov status`');
    }
    const now = snapshotIn(await readPfs(env, [vf.pf]), vf);
    refuseUnsupported(env, owner.name, { device: { label, settings: asked }, vf }, now);
    const { profile } = pfDriver(env, vf.pf);
    const wanted: VfDesired = untag ? { ...desiredFromSettings(asked), vlan: null } : desiredFromSettings(asked);
    const changes = planChanges(vf, provenBy(now, profile), wanted);
    const mine = held && sameOwner(held.owner, owner) ? held : null;
    const changed = recordChanging(env, vf, mine, changes);
    try {
      await applyAndCheck(env, changes, [{ vf, desired: wanted, profile }]);
    } catch (e) {
      await undoCall(env, changes, new Map([[vf.pci, now]]), [mine], e);
      throw e;
    }
    if (!mine) env.report.note(`${describeVf(vf)}: adopted for ${owner.name} (no record of it: release will leave a clean VF)`);
    env.state.put({
      ...vf, owner, style: mine?.style ?? null, network: mine?.network ?? null, original: mine?.original ?? null,
      guest: { ...(mine?.guest ?? now), ...wanted }, changed, phase: 'running', updated: new Date().toISOString(),
      ...(mine?.portVlan ? { portVlan: mine.portVlan } : {}),
    });
    return changes;
  });
}
