/**
 * qemu `stopped end` and `release end`: put each VF the guest held back as it was before the
 * guest, then make sure nothing of the guest's stays (its VLAN, trust, MAC). `stopped` does the
 * work and frees the VF; `release` (after libvirt has given the VF back to the host) checks
 * again and forgets it. `stopped` never fails (libvirt ignores it, and the admin gains nothing);
 * `release` fails only to name a VF that kept something of the guest's (libvirt logs it).
 */
import { OperationError } from '../../errors.js';
import { boundDriver } from '../../host/host-model.js';
import { parsePciAddress } from '../../model/pci-address.js';
import { cleanVf, releasePlan, releaseTarget } from '../../plan/guest-vf.js';
import { describeVf, planChanges, provenBy } from '../../plan/vf-snapshot.js';
import { isGuestDriver } from '../../pool/vf-use.js';
import { sameOwner, type Owner, type VfRecord } from '../../state/vf-record.js';
import { OK, type HookEnv, type HookOutcome } from '../hook-env.js';
import { pfDriver, resolveVf } from '../../host/vf-locate.js';
import { readPfs, snapshotIn } from '../vf-read.js';
import { applyAllYouCan, readBackSettled } from '../vf-write.js';

export async function stopped(env: HookEnv, owner: Owner): Promise<HookOutcome> {
  return putBack(env, owner, 'stopped');
}

export async function release(env: HookEnv, owner: Owner): Promise<HookOutcome> {
  return putBack(env, owner, 'release');
}

async function putBack(env: HookEnv, owner: Owner, op: 'stopped' | 'release'): Promise<HookOutcome> {
  return env.state.locked(async () => {
    // only what this guest still holds: a VF another guest took since is not ours to reset
    const mine = env.state.all().filter((r) => sameOwner(r.owner, owner));
    if (op === 'release') await resetUnreadable(env);
    await putBackVfs(env, mine, op);
    return OK;
  });
}

/** What of the guest a VF still carries after its restore: its MAC, its VLAN, its trust. */
function guestLeftovers(r: VfRecord, links: Awaited<ReturnType<typeof readPfs>>): string[] {
  let now;
  try {
    now = snapshotIn(links, r);
  } catch {
    return []; // the VF is gone: nothing of the guest's on it
  }
  const what: string[] = [];
  if (r.guest.mac && now.mac === r.guest.mac) what.push(`MAC ${now.mac}`);
  if (r.guest.vlan && now.vlan?.id === r.guest.vlan.id) what.push(`VLAN ${now.vlan.id}`);
  if (r.guest.trust === true && now.trust === true) what.push('trust on');
  return what.length ? [`${describeVf(r)} still has ${r.owner.name}'s ${what.join(', ')}`] : [];
}

/**
 * Put these VFs back as their records say (doing all that can be done), then mark them stopped
 * (free for another guest) or, at release, forget them. Under the vfs lock. At release (and
 * port-deleted, its twin for a network port), a VF that kept something of the guest's is an
 * error naming it: libvirt ignores the exit status, the log and libvirt's log show it.
 */
export async function putBackVfs(env: HookEnv, records: readonly VfRecord[], op: 'stopped' | 'release'): Promise<void> {
  if (records.length === 0) return;
  const links = await readPfs(env, records.map((r) => r.pf)).catch((e: Error) => {
    env.report.note(`could not read the PFs: ${e.message}`);
    return null;
  });
  for (const r of records) env.report.vfs.add(describeVf(r));
  let after = links;
  if (links) {
    const changes = records.flatMap((r) => restoreChanges(env, r, links));
    const failed = await applyAllYouCan(env, changes);
    for (const f of failed) env.report.note(`could not put back ${f.change.keys.join('/')} on ${describeVf(f.change.vf)}: ${f.why}`);
    if (changes.length) after = await readBackSettled(env, changes).catch(() => null);
  }
  for (const r of records) {
    if (op === 'release') env.state.remove(r.pci);
    else env.state.put({ ...r, phase: 'stopped', updated: new Date().toISOString() });
  }
  // release is the last word: a VF that still has the guest's MAC, VLAN or trust is an error
  // the admin sees (in the log, and in libvirt's), naming the VF; stopped leaves it to release
  const left = after ? records.flatMap((r) => guestLeftovers(r, after)) : [];
  if (left.length && op === 'release') {
    throw new OperationError(`${left.join('; ')}: the driver refused to take it away (see the notes of this call in the log)`,
      `clear it by hand (ip link set PF vf N vlan 0 trust off mac 00:00:00:00:00:00, or 02:00:00:00:00:00 where the driver refuses zero), and check \`dmesg\` for the driver's reason`);
  }
  for (const l of left) env.report.note(`${l}; release checks again`);
}

/**
 * A state file that can't be read hides whose VF it was and what the VF had before: the VF may
 * still carry that guest's VLAN, MAC or trust. Once no guest has the VF (it is off vfio-pci),
 * reset it to a clean VF and keep the file aside. A VF still on vfio-pci is left as it is.
 */
async function resetUnreadable(env: HookEnv): Promise<void> {
  for (const pci of env.state.unreadable()) {
    try {
      if (isGuestDriver(boundDriver(env.sysfs, pci))) {
        env.report.note(`the state file of VF ${pci} can't be read; a guest has the VF (vfio-pci): left as it is`);
        continue;
      }
      const vf = resolveVf(env, parsePciAddress(pci));
      if (vf) {
        const links = await readPfs(env, [vf.pf]);
        const now = snapshotIn(links, vf);
        const { profile } = pfDriver(env, vf.pf);
        const failed = await applyAllYouCan(env, planChanges(vf, provenBy(now, profile), cleanVf(now, profile)));
        for (const f of failed) env.report.note(`could not reset ${f.change.keys.join('/')} on ${describeVf(vf)}: ${f.why}`);
      }
      const aside = env.state.setAside(pci);
      env.report.note(`the state file of VF ${pci} can't be read: ${vf ? `${describeVf(vf)} reset to a clean VF` : 'the VF is gone'}; the file is kept as ${aside}`);
    } catch (e) {
      env.report.note(`the state file of VF ${pci} can't be read, and its VF could not be reset: ${(e as Error).message}`);
    }
  }
}

/**
 * The changes that release a VF, in one plan: its changed keys restored, then the isolation
 * scrub (plan/guest-vf.ts releasePlan). What the scrub takes away beyond the restore is noted.
 */
function restoreChanges(env: HookEnv, r: VfRecord, links: Awaited<ReturnType<typeof readPfs>>) {
  try {
    const now = snapshotIn(links, r);
    const { profile } = pfDriver(env, r.pf);
    const plan = releasePlan(r, env.config.releasePolicy, now, profile);
    const changes = planChanges(r, provenBy(now, profile), releaseTarget(plan, now, profile));
    const scrubbed = changes.filter((c) => c.keys.some((k) => plan.scrub[k] !== undefined));
    if (scrubbed.length) {
      env.report.note(`${describeVf(r)}: isolation scrub: ${scrubbed.map((c) => `${c.keys.join('/')} ${c.to}`).join(', ')} (nothing of ${r.owner.name}'s stays)`);
    }
    return changes;
  } catch (e) {
    env.report.note(`${describeVf(r)}: ${(e as Error).message}`);
    return [];
  }
}
