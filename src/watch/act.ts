/**
 * The watcher's hands: a running guest read from its live XML, and the plan (reconcile.ts)
 * carried out with the hooks' own core, under the `vfs` state lock, never across a call to
 * libvirt. A VF hot-plugged behind virt-sriov's back is recorded before its settings go on, so a
 * watcher killed half way finds it at its next start and finishes it as drift.
 */
import { pfDriver, resolveVf } from '../host/vf-locate.js';
import { readPfs, snapshotIn } from '../hooks/vf-read.js';
import { applyAndCheck, recordChanging } from '../hooks/vf-write.js';
import { checkOwnVfs, deviceContext, devicesOf } from '../hooks/qemu/domain-devices.js';
import { refuseUnsupported } from '../hooks/qemu/prepare.js';
import { putBackVfs } from '../hooks/qemu/stop.js';
import type { HookEnv } from '../hooks/hook-env.js';
import type { PfLink } from '../host/ip-link.js';
import { formatPciAddress } from '../model/pci-address.js';
import { changedAfter, guestDesired, withNetworkDefaults } from '../plan/guest-vf.js';
import { describeVf, planChanges, provenBy, type VfChange } from '../plan/vf-snapshot.js';
import type { VfRecord } from '../state/vf-record.js';
import type { DomainXml } from '../xml/domain.js';
import { describeDrift, driftOf } from './drift.js';
import { planGuest, type GuestVf, type RunningGuest, type WatchAction } from './reconcile.js';

/** The guest's VF-pinned devices from its live XML; what can't be located is a note, not an error. */
export function runningGuest(env: HookEnv, domain: DomainXml): RunningGuest {
  const devices = devicesOf(env, domain);
  try {
    checkOwnVfs(domain, devices);
  } catch (e) {
    env.report.note((e as Error).message);
  }
  const vfs: GuestVf[] = devices.flatMap((device) => {
    if (!device.fields.vf) return [];
    const vf = resolveVf(env, device.fields.vf);
    if (!vf) {
      env.report.note(`domain ${domain.name}: ${device.label} is PCI device ${formatPciAddress(device.fields.vf)}, not a VF of this host: left alone`);
      return [];
    }
    return [{ vf, label: device.label, style: device.style, settings: device.settings }];
  });
  const arriving = new Set(domain.arrivingDevices(deviceContext(env)).flatMap((d) => (d.fields.vf ? [formatPciAddress(d.fields.vf)] : [])));
  return { owner: { name: domain.name, uuid: domain.uuid }, vfs, ...(arriving.size ? { arriving } : {}) };
}

/** What one reconcile did, for the log and the metrics. */
export interface Reconciled {
  readonly plugged: number;
  readonly unplugged: number;
  /** VFs whose live settings had drifted from the guest's and were put right. */
  readonly repaired: number;
  readonly failed: number;
}

/** Bring one running guest's VFs in line with its settings and the state. Each VF on its own: one that fails doesn't stop the others. */
export async function reconcileGuest(env: HookEnv, guest: RunningGuest): Promise<Reconciled> {
  return env.state.locked(async () => {
    const announced = new Set(env.state.plugs.all().flatMap((p) => (p.vf ? [p.vf] : [])));
    const actions = planGuest(guest, env.state.all(), announced);
    const done = { plugged: 0, unplugged: 0, repaired: 0, failed: 0 };
    if (actions.length === 0) return done;
    const reading = actions.flatMap((a) => (a.kind === 'plugged' ? [a.device.vf.pf] : a.kind === 'check' || a.kind === 'settle' ? [a.record.pf] : []));
    const links = reading.length ? await readPfs(env, reading) : new Map<string, PfLink>();
    for (const action of actions) {
      try {
        const what = await act(env, action, links);
        if (what) done[what]++;
      } catch (e) {
        done.failed++;
        env.report.note(`${labelOf(action)}: ${(e as Error).message}`);
      }
    }
    return done;
  });
}

function labelOf(a: WatchAction): string {
  return a.kind === 'plugged' || a.kind === 'conflict' || a.kind === 'settle' ? `${a.device.label} (${describeVf(a.device.vf)})` : describeVf(a.record);
}

async function act(env: HookEnv, action: WatchAction, links: Map<string, PfLink>): Promise<keyof Reconciled | null> {
  switch (action.kind) {
    case 'conflict':
      env.report.note(`${labelOf(action)} is in this guest, but virt-sriov records it as guest ${action.record.owner.name}'s: left alone (check \`virt-sriov status\`)`);
      return null;
    case 'unplugged':
      env.report.vfs.add(describeVf(action.record));
      env.report.note(`${describeVf(action.record)}: unplugged from ${action.record.owner.name}; restored and freed`);
      await putBackVfs(env, [action.record], 'release');
      return 'unplugged';
    case 'plugged':
      return plugged(env, action, links);
    case 'check':
      return (await repairDrift(env, action.record, links)) ? 'repaired' : null;
    case 'settle':
      return settlePort(env, action, links);
  }
}

/**
 * A network's VF in the guest that port-created only claimed. Hot-plugged with plain virsh, it
 * has libvirt's MAC and VLAN only: the rest of what the guest asks (its XML and metadata over
 * the network's defaults and the port's VLAN) goes on. Claimed for an `attach --live` that died
 * before it settled it, the hook already put the NIC's settings on and recorded them: they are
 * checked. Either way recorded first, as running, so a watcher killed half way finishes at its
 * next look (as drift), and put back as the port-created record says when the port goes.
 */
async function settlePort(env: HookEnv, { record, device }: Extract<WatchAction, { kind: 'settle' }>, links: Map<string, PfLink>): Promise<'plugged'> {
  env.report.vfs.add(describeVf(record));
  const now = snapshotIn(links, record);
  const { profile } = pfDriver(env, record.pf);
  const announced = Object.keys(record.guest).length > 0;
  const asked = withNetworkDefaults(env.config.networks, record, device.settings);
  if (!announced) refuseUnsupported(env, record.owner.name, { device: { label: device.label, settings: asked }, vf: record }, now);
  const desired = announced ? record.guest : guestDesired(asked, now, profile);
  const changes = planChanges(record, provenBy(now, profile), desired);
  env.state.put({ ...record, guest: desired, changed: changedAfter(record, changes.flatMap((c) => c.keys)), phase: 'running', updated: new Date().toISOString() });
  env.report.note(`${device.label}: network ${record.network}'s VF in ${record.owner.name}, claimed at port-created but never set up `
    + `(${announced ? 'its attach --live ended before it settled it' : 'hot-plugged without virt-sriov'}); ${changes.length ? 'its settings put on' : 'it already had its settings'}`);
  await applyAndCheck(env, changes, [{ vf: record, desired, profile }]);
  return 'plugged';
}

/**
 * A VF that reached the guest without virt-sriov: its settings go on now. libvirt changed nothing
 * on a <hostdev> VF, so what it has now is what it had before the guest; an <interface
 * type='hostdev'> already has libvirt's MAC and VLAN, which libvirt itself puts back on unplug,
 * so its original is unknown and release leaves a clean VF.
 */
async function plugged(env: HookEnv, { owner, device }: Extract<WatchAction, { kind: 'plugged' }>, links: Map<string, PfLink>): Promise<'plugged'> {
  const { vf } = device;
  env.report.vfs.add(describeVf(vf));
  const now = snapshotIn(links, vf);
  refuseUnsupported(env, owner.name, { device, vf }, now);
  const { profile } = pfDriver(env, vf.pf);
  const desired = guestDesired(device.settings, now, profile);
  const changes = planChanges(vf, provenBy(now, profile), desired);
  // recorded first: a watcher killed while the settings go on finds the VF held at its next start, and checks it
  env.state.put({
    ...vf, owner, style: device.style, network: null, original: device.style === 'hostdev' ? now : null,
    guest: desired, changed: changedAfter(null, changes.flatMap((c) => c.keys)), phase: 'running', updated: new Date().toISOString(),
  });
  env.report.note(`${device.label}: hot-plugged into ${owner.name} without virt-sriov; ${changes.length ? 'its settings put on' : 'it already had its settings'}`);
  await applyAndCheck(env, changes, [{ vf, desired, profile }]);
  return 'plugged';
}

/** A held VF whose live settings are not the guest's (a driver reset, a PF down and up, a hand-made `ip link set`): put right. */
async function repairDrift(env: HookEnv, record: VfRecord, links: Map<string, PfLink>): Promise<boolean> {
  const { profile } = pfDriver(env, record.pf);
  const now = snapshotIn(links, record);
  const drift = driftOf(record, now, profile) ?? [];
  if (drift.length === 0) return false;
  env.report.vfs.add(describeVf(record));
  const changes: VfChange[] = planChanges(record, provenBy(now, profile), Object.fromEntries(drift.map((d) => [d.setting, record.guest[d.setting]])));
  env.report.note(`${describeVf(record)} of ${record.owner.name} had drifted (${describeDrift(drift)}): repaired`);
  recordChanging(env, record, record, changes);
  await applyAndCheck(env, changes, [{ vf: record, desired: record.guest, profile }]);
  // only once the settings are back and read back so: a repair that failed is the call's failure
  env.report.repaired.push({ pf: record.pf, vf: record.index, pci: record.pci, settings: drift.map((d) => d.setting) });
  return true;
}
