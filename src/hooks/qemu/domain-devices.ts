/** A domain's SR-IOV devices as a hook sees them, with each VF found on the host. */
import { configFileOf } from '../../config/config-path.js';
import { InputError, OperationError } from '../../errors.js';
import { isVf } from '../../host/host-model.js';
import { formatPciAddress } from '../../model/pci-address.js';
import type { VfRef } from '../../plan/vf-snapshot.js';
import { holds, sameOwner, type Owner, type VfRecord } from '../../state/vf-record.js';
import { describeKey } from '../../xml/metadata.js';
import type { DeviceContext, DomainXml, SriovDevice } from '../../xml/domain.js';
import type { HookEnv } from '../hook-env.js';
import { resolveVf } from '../../host/vf-locate.js';

export function devicesOf(env: HookEnv, domain: DomainXml): SriovDevice[] {
  return domain.sriovDevices(deviceContext(env));
}

/** What tells a device is SR-IOV on this host: a VF in sysfs, a hostdev network of the config or libvirt's. */
export function deviceContext(env: HookEnv): DeviceContext {
  const networks = new Set([...Object.keys(env.config.networks), ...env.hostdevNetworks()]);
  return { isVf: (a) => isVf(env.sysfs, a), isHostdevNetwork: (n) => networks.has(n) };
}

/**
 * A metadata entry that matches no device of the domain: a VF (or MAC) to be hot-plugged later,
 * whose settings the watcher puts on when it arrives, or a typo. Either way a note in the log,
 * never a refusal: the guest runs, and its devices get what they ask for.
 */
export function noteOrphans(env: HookEnv, domain: DomainXml, devices: readonly SriovDevice[]): void {
  for (const orphan of domain.orphanEntries(devices)) {
    env.report.note(`domain ${domain.name}: virt-sriov metadata has settings for ${describeKey(orphan.key)}, which the domain doesn't have (yet): `
      + 'they go on when it is hot-plugged while `virt-sriov watch` runs; if it is a typo, fix the pci= or interface-mac= of that <sriov:vf> entry (virsh edit)');
  }
}

export interface PinnedDevice {
  readonly device: SriovDevice;
  readonly vf: VfRef;
}

/** The devices that name a VF, each located on its PF. A VF this host doesn't have is an error. */
/** Two devices naming one VF: a domain libvirt would not run. */
export function checkOwnVfs(domain: DomainXml, devices: readonly SriovDevice[]): void {
  const seen = new Map<string, string>();
  for (const device of devices) {
    if (!device.fields.vf) continue;
    const pci = formatPciAddress(device.fields.vf);
    const other = seen.get(pci);
    if (other) throw new InputError(`domain ${domain.name}: ${other} and ${device.label} both use VF ${pci}`, 'give each device its own VF');
    seen.set(pci, device.label);
  }
}

export function pinnedDevices(env: HookEnv, domain: DomainXml, devices: readonly SriovDevice[]): PinnedDevice[] {
  checkOwnVfs(domain, devices);
  return devices.flatMap((device) => {
    if (!device.fields.vf) return [];
    const pci = formatPciAddress(device.fields.vf);
    const vf = resolveVf(env, device.fields.vf);
    if (!vf) {
      throw new OperationError(`domain ${domain.name}: ${device.label} names VF ${pci}, which this host doesn't have`,
        `check \`virt-sriov status\` for the VFs there are; if the PF has too few, set pfs.PF.numVfs in ${configFileOf(env.config)}`);
    }
    return [{ device, vf }];
  });
}

/** The domain as an owner of VFs, and its VF-pinned devices, located; `prepare` notes metadata that no device answers. */
export function domainVfs(env: HookEnv, domain: DomainXml, { noteUnmatched = false } = {}): { owner: Owner; pinned: PinnedDevice[] } {
  const ctx = deviceContext(env);
  const devices = domain.sriovDevices(ctx);
  // settings for a device that arrives after an incoming migration are not orphans
  if (noteUnmatched) noteOrphans(env, domain, [...devices, ...domain.arrivingDevices(ctx)]);
  return { owner: { name: domain.name, uuid: domain.uuid }, pinned: pinnedDevices(env, domain, devices) };
}

/** The state record of a VF if this domain holds it; a VF another guest holds is refused. */
export function ownRecord(env: HookEnv, domain: DomainXml, owner: Owner, vf: VfRef): VfRecord | null {
  const record = env.state.get(vf.pci);
  if (record && holds(record) && !sameOwner(record.owner, owner)) {
    throw new OperationError(`domain ${domain.name}: VF ${vf.pci} (${vf.pf} vf ${vf.index}) is held by guest ${record.owner.name}`,
      `give ${domain.name} another VF (\`virt-sriov status\` shows them), or stop ${record.owner.name} first`);
  }
  return record && sameOwner(record.owner, owner) ? record : null;
}
