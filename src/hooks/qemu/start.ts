/**
 * qemu `start begin`: libvirt has detached every VF and set MAC/VLAN for the <interface>
 * styles; QEMU runs next. Set everything else the guest asked for (and MAC/VLAN for a plain
 * <hostdev>) in one `ip -batch`, read it back, and on any failure put every VF back and stop
 * the start: a guest must not run on a VLAN it was not given.
 */
import { isVirtSriovError, OperationError } from '../../errors.js';
import { isVfOpsFailed } from '../../host/vf-port.js';
import { guestDesired, withNetworkDefaults } from '../../plan/guest-vf.js';
import { describeVf, planChanges, provenBy, type SnapshotKey, type VfChange, type VfDesired, type VfRef, type VfSnapshot } from '../../plan/vf-snapshot.js';
import type { VfRecord } from '../../state/vf-record.js';
import type { DomainXml, SriovDevice } from '../../xml/domain.js';
import { OK, type HookEnv, type HookOutcome } from '../hook-env.js';
import { pfDriver } from '../../host/vf-locate.js';
import { readPfs, snapshotIn } from '../vf-read.js';
import { applyAndCheck, recordChanging, undoCall } from '../vf-write.js';
import { domainVfs, ownRecord } from './domain-devices.js';

interface Target {
  readonly device: SriovDevice;
  readonly vf: VfRef;
  readonly record: VfRecord | null;
  readonly desired: VfDesired;
}

export async function start(env: HookEnv, domain: DomainXml): Promise<HookOutcome> {
  const { owner, pinned } = domainVfs(env, domain);
  if (pinned.length === 0) return OK;

  return env.state.locked(async () => {
    const owned = pinned.map(({ device, vf }) => {
      env.report.vfs.add(describeVf(vf));
      return { device, vf, record: ownRecord(env, domain, owner, vf) };
    });

    // What each VF is now, as read: libvirt has set MAC and VLAN for the <interface> styles from
    // what it knows (the XML, the network, its portgroup), which the hook can't model (a VLAN
    // only in virt-sriov's metadata is not one of them).
    const profiles = new Map(owned.map((t) => [t.vf.pci, pfDriver(env, t.vf.pf).profile]));
    let current = new Map<string, VfSnapshot>();
    let targets: Target[] = [];
    let changes: VfChange[] = [];
    let changed = new Map<string, SnapshotKey[] | undefined>();
    try {
      const links = await readPfs(env, owned.map((t) => t.vf.pf));
      current = new Map(owned.map((t) => [t.vf.pci, snapshotIn(links, t.vf)]));
      targets = owned.map((t) => ({
        ...t, desired: guestDesired(withNetworkDefaults(env.config.networks, t.record, t.device.settings), current.get(t.vf.pci)!, profiles.get(t.vf.pci)!),
      }));
      changes = targets.flatMap((t) => planChanges(t.vf, provenBy(current.get(t.vf.pci)!, profiles.get(t.vf.pci)!), t.desired));
      // which keys each VF's record says were changed, kept before they are written
      changed = new Map(targets.map((t) => [t.vf.pci, recordChanging(env, t.vf, t.record, changes)]));
      await applyAndCheck(env, changes, targets.map((t) => ({ vf: t.vf, desired: t.desired, profile: profiles.get(t.vf.pci)! })));
    } catch (e) {
      await undoCall(env, changes, current, owned.map((t) => t.record), e);
      throw startRefused(domain, e, changes);
    }

    for (const t of targets) {
      env.state.put({
        ...t.vf, owner, style: t.record?.style ?? t.device.style, network: t.record?.network ?? null,
        original: t.record?.original ?? current.get(t.vf.pci)!, guest: t.desired, changed: changed.get(t.vf.pci), phase: 'running', updated: new Date().toISOString(),
        ...(t.record?.portVlan ? { portVlan: t.record.portVlan } : {}),
      });
    }
    return OK;
  });
}

function startRefused(domain: DomainXml, e: unknown, changes: readonly VfChange[]): OperationError {
  const failed = isVfOpsFailed(e) && e.failedAt !== null ? changes[e.failedAt] : undefined;
  if (failed && isVfOpsFailed(e)) {
    return new OperationError(
      `domain ${domain.name}: ${describeVf(failed.vf)}: \`${e.command}\` failed: ${e.reason}. Every VF was put back and the guest was not started`,
      `if the ${failed.vf.pf} driver can't do this ${failed.keys.join('/')} setting, remove it from the domain's virt-sriov metadata (virsh edit ${domain.name})`);
  }
  const fix = isVirtSriovError(e, 'operation') ? e.fix : undefined;
  return new OperationError(`domain ${domain.name}: ${(e as Error).message}. Every VF was put back and the guest was not started`, fix);
}
