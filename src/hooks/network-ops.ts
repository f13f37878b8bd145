/**
 * The network hook, for hostdev networks (<forward mode='hostdev'>, a pool of VFs).
 * `start begin` runs before libvirt expands <pf dev> into VFs (and fails on a PF without any):
 * bring the PF up and to its VF count (recorded, or one VF per NIC of the guests defined on the
 * network when the PF has none). `port-created` runs when libvirt has picked a VF for a
 * guest, before it sets MAC/VLAN: claim the VF with its state from before the guest; for a NIC
 * that `attach --live` hot-plugs (no qemu hook runs then), put its settings on it too.
 * Both run again for running guests when the daemon restarts, so both are idempotent.
 * `port-deleted` puts the VF back and frees it.
 */
import { configFileOf } from '../config/config-path.js';
import { InputError, OperationError } from '../errors.js';
import { boundDriver } from '../host/host-model.js';
import { isInterfaceName } from '../model/interface-name.js';
import { formatPciAddress } from '../model/pci-address.js';
import { describeUnsupported, unsupportedSettings } from '../drivers/vf-support.js';
import { changedAfter, networkSettings, withNetworkDefaults } from '../plan/guest-vf.js';
import { describeVf, type VfRef, type VfSnapshot } from '../plan/vf-snapshot.js';
import { isGuestDriver } from '../pool/vf-use.js';
import { holds, sameOwner, type Owner, type VfRecord } from '../state/vf-record.js';
import { networkOf } from '../xml/devices/interface-network.js';
import { DomainXml } from '../xml/domain.js';
import type { HookData } from '../xml/network.js';
import { isVfOpsFailed } from '../host/vf-port.js';
import { OK, IGNORED, type HookEnv, type HookOutcome } from './hook-env.js';
import { putBackVfs } from './qemu/stop.js';
import { readyVfLocked } from '../live/live-vf.js';
import type { PendingPlug } from '../state/pending-plug.js';
import { ensurePfUp, ensureVfCount } from './pf-setup.js';
import { pfDriver, resolveVf } from '../host/vf-locate.js';
import { readPfs, snapshotIn } from './vf-read.js';

export async function networkStart(env: HookEnv, data: HookData): Promise<HookOutcome> {
  const net = data.network;
  if (!net.hostdev || !net.pf) return IGNORED;
  const pf = net.pf;
  if (!isInterfaceName(pf)) {
    throw new InputError(`network ${net.name}: <pf dev=${JSON.stringify(pf)}/> is not a network interface name`, `fix it (virsh net-edit ${net.name}); \`virt-sriov status\` lists the PFs`);
  }
  if (!env.sysfs.exists(`class/net/${pf}`)) {
    throw new OperationError(`network ${net.name}: its PF ${pf} does not exist on this host`, `fix <pf dev='${pf}'/> (virsh net-edit ${net.name}); \`virt-sriov status\` lists the PFs`);
  }
  return env.state.locked(async () => {
    const wanted = env.config.pfs[pf]?.numVfs;
    const current = Number(env.sysfs.read(`class/net/${pf}/device/sriov_numvfs`) ?? 0);
    if (wanted !== undefined) await ensureVfCount(env, pf, wanted);
    else if (current === 0) {
      // libvirt can't start a pool without VFs: make what the guests defined on it need
      const total = Number(env.sysfs.read(`class/net/${pf}/device/sriov_totalvfs`) ?? 0);
      const nics = nicsOn(env, net.name);
      const count = Math.max(1, Math.min(nics, total));
      await ensureVfCount(env, pf, count);
      env.report.note(`network ${net.name}: PF ${pf} had no VFs and no count is recorded: made ${count} (${nics} NIC(s) of defined guests use ${net.name}); ` +
        `\`virt-sriov vfs ${pf} --count N\` records the count the pool should have, for guests defined later too`);
    }
    const links = await readPfs(env, [pf]);
    await ensurePfUp(env, links.get(pf)!);
    return OK;
  });
}

/** How many NICs of the guests defined in libvirt take a VF from `network`. */
function nicsOn(env: HookEnv, network: string): number {
  const ctx = { isVf: () => false, isHostdevNetwork: (name: string) => name === network };
  let nics = 0;
  for (const text of env.definedDomains()) {
    try {
      nics += DomainXml.read(text, 'a defined domain').sriovDevices(ctx).filter((d) => networkOf(d.element) === network).length;
    } catch {
      // a domain we can't read takes no VF here; its own start will say what is wrong
    }
  }
  return nics;
}

export async function portCreated(env: HookEnv, data: HookData): Promise<HookOutcome> {
  const port = data.port;
  if (!data.network.hostdev || !port?.vf) return IGNORED;
  const vf = resolveVf(env, port.vf);
  if (!vf) throw new OperationError(`network ${data.network.name}: libvirt picked VF ${formatPciAddress(port.vf)}, which this host doesn't have`, `restart the network (virsh net-destroy/net-start ${data.network.name}) so its pool matches the PF's VFs`);
  const owner: Owner = { name: port.owner.name ?? '?', uuid: port.owner.uuid };
  env.report.vfs.add(describeVf(vf));
  return env.state.locked(async () => {
    const record = env.state.get(vf.pci);
    if (record && holds(record) && sameOwner(record.owner, owner) && !isPinned(record)) return OK; // daemon restart: already ours
    if (record && holds(record)) {
      // the pool sees only the VFs it gave out itself: it may pick one a guest has pinned, this one too
      const who = sameOwner(record.owner, owner) ? `${owner.name} itself, as its ${record.style}` : `guest ${record.owner.name}`;
      throw new OperationError(`network ${data.network.name}: VF ${vf.pci} that libvirt picked for ${owner.name} is held by ${who}`,
        `keep VFs of ${vf.pf} either in the network's pool or pinned to guests, not both`);
    }
    // a NIC `attach --live` is hot-plugging: no qemu hook will run, so its settings go on now,
    // before libvirt readies the device (state/pending-plug.ts)
    const plug = port.mac ? env.state.plugs.find(owner, port.mac) : null;
    if (plug) return plugAnnounced(env, data, vf, plug);
    const links = await readPfs(env, [vf.pf]);
    const now = snapshotIn(links, vf);
    // Replayed at a daemon restart for a guest that runs, with no record (state lost, or
    // virt-sriov installed while guests run): the VF is the guest's (on vfio-pci), and what it
    // has now is the guest's, not what it had before. Original unknown, as reconnect adopts:
    // release leaves a clean VF rather than put the guest's MAC and VLAN back.
    const running = isGuestDriver(boundDriver(env.sysfs, vf.pci));
    // a fresh claim asks the network's defaults of the driver: refused before any VF changes (a
    // replay for a running guest must not fail: libvirt would kill the guest)
    if (!running) refuseNetworkDefaults(env, data.network.name, vf, now);
    env.state.put({
      ...vf, owner, style: 'network', network: data.network.name, original: running ? null : now,
      guest: running ? now : {}, changed: changedAfter(null, []), phase: running ? 'running' : 'claimed', updated: new Date().toISOString(),
      ...(port.vlan ? { portVlan: port.vlan } : {}),
    });
    if (running) env.report.note(`${describeVf(vf)}: adopted for ${owner.name} as it is (a port of a running guest, with no record)`);
    return OK;
  });
}

/**
 * Every setting of the announced NIC on the VF libvirt picked (the network's defaults and the
 * port's VLAN under the guest's own), checked, and the VF claimed; the entry says which VF, for
 * the CLI to settle or take back. A setting the VF doesn't take puts back all this call changed,
 * claims nothing, and fails the hot-plug.
 */
async function plugAnnounced(env: HookEnv, data: HookData, vf: VfRef, plug: PendingPlug): Promise<HookOutcome> {
  const port = data.port!;
  try {
    await readyVfLocked(env, {
      owner: plug.owner, label: plug.label, vf, style: 'network', network: data.network.name,
      settings: withNetworkDefaults(env.config.networks, { network: data.network.name, portVlan: port.vlan }, plug.settings),
      ...(port.vlan ? { portVlan: port.vlan } : {}),
    });
  } catch (e) {
    if (!isVfOpsFailed(e)) throw e; // refused before anything changed: it says so itself
    throw new OperationError(`network ${data.network.name}: ${describeVf(vf)}, picked for ${plug.owner.name}'s ${plug.label}: \`${e.command}\` failed: ${e.reason}. `
      + `The VF was put back as it was, and ${plug.owner.name} does not get the NIC`,
    `if the ${vf.pf} driver can't do one of these settings, leave it out of \`virt-sriov attach\` (or out of networks.${data.network.name} in ${configFileOf(env.config)})`);
  }
  env.state.plugs.put({ ...plug, vf: vf.pci });
  env.report.note(`${describeVf(vf)}: hot-plugged into ${plug.owner.name} by virt-sriov attach --live (${plug.label}); its settings put on before libvirt hands it over`);
  return OK;
}

/** The network's defaults from the config, where the VF's driver can't do them: refused before any VF changes. */
function refuseNetworkDefaults(env: HookEnv, network: string, vf: VfRef, now: VfSnapshot): void {
  const defaults = env.config.networks[network];
  if (!defaults) return;
  const { driver, profile } = pfDriver(env, vf.pf);
  const missing = unsupportedSettings(networkSettings(defaults), now, profile);
  if (missing.length === 0) return;
  throw new OperationError(
    `network ${network}: VF ${vf.pci} is VF ${vf.index} of PF ${vf.pf}, whose driver ${driver ?? '(none)'} can't do ${describeUnsupported(missing)} (from the network's defaults); nothing was changed`,
    `remove ${missing.length > 1 ? 'these settings' : 'this setting'} from networks.${network} in ${configFileOf(env.config)}, or build the network from a PF whose driver can (docs/drivers.md)`);
}

/**
 * The port is gone: the guest stopped, or its network-style NIC was hot-unplugged (no qemu
 * hook runs then). Put the VF back and forget it, so the pool can give it to the next guest.
 * Fails only as release does, naming a VF that kept something of the guest's (libvirt ignores
 * the exit status and logs it).
 */
export async function portDeleted(env: HookEnv, data: HookData): Promise<HookOutcome> {
  const port = data.port;
  if (!data.network.hostdev || !port?.vf) return IGNORED;
  const pci = formatPciAddress(port.vf);
  const owner: Owner = { name: port.owner.name ?? '?', uuid: port.owner.uuid };
  return env.state.locked(async () => {
    const record = env.state.get(pci);
    if (!record || !sameOwner(record.owner, owner)) {
      env.report.note(`port of ${owner.name} on VF ${pci} deleted; no record of it: nothing to put back`);
      return OK;
    }
    // a port port-created refused because the guest has that VF pinned: the guest still uses it
    if (isPinned(record)) {
      env.report.note(`port of ${owner.name} on VF ${pci} deleted; the VF is ${owner.name}'s ${record.style}, not the port's: left as it is`);
      return OK;
    }
    await putBackVfs(env, [record], 'release');
    return OK;
  });
}

/** A VF the guest's XML names itself (hostdev, interface style): never a port of libvirt's pool. */
function isPinned(record: VfRecord): boolean {
  return record.style === 'hostdev' || record.style === 'interface';
}
