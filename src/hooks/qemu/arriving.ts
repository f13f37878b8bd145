/**
 * qemu `prepare begin` of an incoming migration sent by `virt-sriov migrate`: the devices it
 * unplugged on the source and plugs in here once the guest runs here (<sriov:arriving> in the
 * domain's metadata, xml/metadata.ts). Each one's VF is readied now, before QEMU runs, in this
 * host's own state: claimed for the guest, every setting (MAC, VLAN, trust, spoofchk, rates,
 * link state, query_rss) put on and read back, as `attach --live` readies one. The hot-plug that
 * follows finds it set: the guest never sees the VF without its settings. A VF this host doesn't
 * have, or another guest holds, refuses the migration (the source keeps the guest and plugs its
 * VFs back in). The VF is the guest's until it leaves this host: `release` puts it back.
 */
import { OperationError } from '../../errors.js';
import { readyVf, undoVf } from '../../live/live-vf.js';
import { formatPciAddress } from '../../model/pci-address.js';
import type { VfRecord } from '../../state/vf-record.js';
import type { DomainXml } from '../../xml/domain.js';
import { OK, type HookEnv, type HookOutcome } from '../hook-env.js';
import { resolveVf } from '../../host/vf-locate.js';
import { deviceContext } from './domain-devices.js';

export async function readyArriving(env: HookEnv, domain: DomainXml): Promise<HookOutcome> {
  const ctx = deviceContext(env);
  // one the guest has already (a restore of a guest saved after its VFs were plugged in) is the domain's own
  const own = new Set(domain.sriovDevices(ctx).flatMap((d) => (d.fields.vf ? [formatPciAddress(d.fields.vf)] : [])));
  const devices = domain.arrivingDevices(ctx).filter((d) => !d.fields.vf || !own.has(formatPciAddress(d.fields.vf)));
  if (devices.length === 0) return OK;
  const owner = { name: domain.name, uuid: domain.uuid };
  const readied: VfRecord[] = [];
  try {
    for (const device of devices) {
      const vf = device.fields.vf ? resolveVf(env, device.fields.vf) : null;
      if (!vf) {
        throw new OperationError(`domain ${domain.name}: ${device.label} is to be plugged in here after the migration, but ${device.fields.vf
          ? `${formatPciAddress(device.fields.vf)} is not a VF of this host` : 'it names no VF'}; the guest stays on the source`,
        'migrate it with `virt-sriov migrate`, which picks a free VF of this host on the same physical network (--dry-run shows which)');
      }
      // the guest's from here on, as a started guest's VFs are: no hook runs when `virt-sriov
      // migrate` plugs it in, so claimed it would stay, out of the watcher's sight (it leaves an
      // arriving VF alone until the NIC is in, then checks it, and frees it if unplugged)
      readied.push(await readyVf(env, { owner, label: device.label, vf, style: device.style, network: null, settings: device.settings, phase: 'running' }));
    }
  } catch (e) {
    for (const record of readied.reverse()) await undoVf(env, record).catch(() => undefined);
    throw e;
  }
  return OK;
}
