/**
 * The network hook, for hostdev networks (<forward mode='hostdev'>, a pool of VFs).
 * `start begin` runs before libvirt expands <pf dev> into VFs (and fails on a PF without any):
 * bring the PF up and to its VF count. `port-created` runs when libvirt has picked a VF for a
 * guest, before it sets MAC/VLAN: claim the VF with its state from before the guest.
 * Both run again for running guests when the daemon restarts, so both are idempotent.
 */
import { configFileOf } from '../config/config-path.js';
import { InputError, OperationError } from '../errors.js';
import { isInterfaceName } from '../model/interface-name.js';
import { formatPciAddress } from '../model/pci-address.js';
import { describeUnsupported, unsupportedSettings } from '../drivers/vf-support.js';
import { networkSettings } from '../plan/guest-vf.js';
import { describeVf, type VfRef, type VfSnapshot } from '../plan/vf-snapshot.js';
import { holds, sameOwner, type Owner } from '../state/vf-record.js';
import type { HookData } from '../xml/network.js';
import { OK, IGNORED, type HookEnv, type HookOutcome } from './hook-env.js';
import { ensurePfUp, ensureVfCount, pfDriver, readPfs, resolveVf, snapshotIn } from './vf-host.js';

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
  const wanted = env.config.pfs[pf]?.numVfs;
  const current = Number(env.sysfs.read(`class/net/${pf}/device/sriov_numvfs`) ?? 0);
  if (wanted !== undefined) await ensureVfCount(env, pf, wanted);
  else if (current === 0) {
    throw new OperationError(`network ${net.name}: PF ${pf} has no VFs, and libvirt can't start a VF pool without them`,
      `set its count in ${configFileOf(env.config)} ("pfs": {"${pf}": {"numVfs": N}}) so virt-sriov creates them, or run \`virt-sriov vfs ${pf} --count N\``);
  }
  const links = await readPfs(env, [pf]);
  await ensurePfUp(env, links.get(pf)!);
  return OK;
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
    if (record && sameOwner(record.owner, owner) && holds(record)) return OK; // daemon restart: already ours
    if (record && holds(record)) {
      throw new OperationError(`network ${data.network.name}: VF ${vf.pci} that libvirt picked for ${owner.name} is held by guest ${record.owner.name}`,
        `keep VFs of ${vf.pf} either in the network's pool or pinned to guests, not both`);
    }
    const links = await readPfs(env, [vf.pf]);
    refuseNetworkDefaults(env, data.network.name, vf, snapshotIn(links, vf));
    env.state.put({
      ...vf, owner, style: 'network', network: data.network.name, original: snapshotIn(links, vf),
      guest: {}, phase: 'claimed', updated: new Date().toISOString(),
    });
    return OK;
  });
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

/** Nothing to undo here: `stopped` and `release` put the VF back. Logged, never fails. */
export async function portDeleted(env: HookEnv, data: HookData): Promise<HookOutcome> {
  if (data.port?.vf) env.report.note(`port of ${data.port.owner.name ?? '?'} on VF ${formatPciAddress(data.port.vf)} deleted`);
  return OK;
}
