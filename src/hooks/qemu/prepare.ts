/**
 * qemu `prepare begin`: before libvirt touches any device. Validate every SR-IOV setting,
 * create VFs that don't exist yet (after a reboot), refuse a VF another guest holds, and claim
 * the domain's VFs with their state from before the guest, so `release` can put it back.
 */
import { configFileOf } from '../../config/config-path.js';
import { OperationError } from '../../errors.js';
import { pfMakingVf } from '../../host/host-model.js';
import { formatPciAddress } from '../../model/pci-address.js';
import { changedAfter, guestDesired } from '../../plan/guest-vf.js';
import { describeUnsupported, unsupportedSettings } from '../../drivers/vf-support.js';
import { describeVf, type VfRef, type VfSnapshot } from '../../plan/vf-snapshot.js';
import type { DomainXml, SriovDevice } from '../../xml/domain.js';
import { OK, type HookEnv, type HookOutcome } from '../hook-env.js';
import { ensurePfUp, ensureVfCount } from '../pf-setup.js';
import { pfDriver } from '../../host/vf-locate.js';
import { readPfs, snapshotIn } from '../vf-read.js';
import { domainVfs, ownRecord } from './domain-devices.js';

export async function prepare(env: HookEnv, domain: DomainXml): Promise<HookOutcome> {
  // under the vfs lock: no sriov_numvfs write may interleave with another hook's claim
  if (missingDevices(env, domain).length) await env.state.locked(() => createMissingVfs(env, domain));
  const { owner, pinned } = domainVfs(env, domain, { noteUnmatched: true });
  if (pinned.length === 0) return OK;

  return env.state.locked(async () => {
    // every VF checked before any is claimed: a refusal claims nothing
    const own = pinned.map(({ vf }) => ownRecord(env, domain, owner, vf));
    const links = await readPfs(env, pinned.map((p) => p.vf.pf));
    // a VF of a PF that is down has no link, and libvirt sets a VF's MAC only on a PF that is up
    const now = pinned.map(({ vf }) => snapshotIn(links, vf));
    // what a driver can't do is refused before any VF or PF changes
    pinned.forEach((p, i) => refuseUnsupported(env, domain.name, p, now[i]!));
    for (const link of links.values()) await ensurePfUp(env, link);
    for (const [i, { device, vf }] of pinned.entries()) {
      // a claim left by this same guest (a start that died half way) keeps its original state
      const original = own[i]?.original ?? now[i]!;
      env.state.put({
        ...vf, owner, style: device.style, network: null, original,
        guest: guestDesired(device.settings, now[i]!, pfDriver(env, vf.pf).profile), changed: changedAfter(own[i] ?? null, []),
        phase: 'claimed', updated: new Date().toISOString(),
      });
      env.report.vfs.add(describeVf(vf));
    }
    return OK;
  });
}

/** A setting the VF's driver can't do would fail the start (or hot-plug) half way: refuse it now, naming the driver. */
export function refuseUnsupported(env: HookEnv, domain: string, { device, vf }: { device: Pick<SriovDevice, 'label' | 'settings'>; vf: VfRef }, now: VfSnapshot): void {
  const { driver, profile } = pfDriver(env, vf.pf);
  const missing = unsupportedSettings(device.settings, now, profile);
  if (missing.length === 0) return;
  throw new OperationError(
    `domain ${domain}: ${device.label} is VF ${vf.index} of PF ${vf.pf}, whose driver ${driver ?? '(none)'} can't do ${describeUnsupported(missing)}; nothing was changed`,
    `remove ${missing.length > 1 ? 'these settings' : 'this setting'} from the domain (virsh edit ${domain}), or give it a VF of a PF whose driver can (docs/drivers.md)`);
}

const missingDevices = (env: HookEnv, domain: DomainXml) =>
  domain.pciSources().filter((s) => !env.sysfs.exists(`bus/pci/devices/${formatPciAddress(s.address)}`));

/**
 * VFs don't survive a reboot. A domain that names a VF that isn't there gets it made: the PF
 * that makes that address (from its SR-IOV capability, no config needed) is brought to the
 * count the config records for it, or else to just enough VFs for this one.
 */
async function createMissingVfs(env: HookEnv, domain: DomainXml): Promise<void> {
  const missing = missingDevices(env, domain);
  const counts = new Map<string, number>();
  for (const s of missing) {
    const at = pfMakingVf(env.sysfs, s.address);
    if (!at) {
      const gone = Object.keys(env.config.pfs).filter((pf) => !env.sysfs.exists(`class/net/${pf}`));
      const why = gone.length ? ` (PF ${gone.join(', ')} of ${configFileOf(env.config)} does not exist on this host)` : '';
      throw new OperationError(`domain ${domain.name}: ${s.label} names a PCI device this host doesn't have, and no SR-IOV PF of this host makes a VF there${why}`,
        'point the domain at an existing device or VF (`virt-sriov status` lists the VFs and where each PF makes them)');
    }
    const recorded = env.config.pfs[at.pf]?.numVfs;
    if (recorded !== undefined && at.index >= recorded) {
      throw new OperationError(`domain ${domain.name}: ${s.label} names VF ${at.index} of ${at.pf}, but ${at.pf} is set to ${recorded} VFs (${configFileOf(env.config)})`,
        `raise the count (virt-sriov vfs ${at.pf} --count ${at.index + 1}), or point the domain at one of ${at.pf}'s first ${recorded} VFs`);
    }
    counts.set(at.pf, Math.max(counts.get(at.pf) ?? 0, recorded ?? at.index + 1));
  }
  for (const [pf, n] of counts) await ensureVfCount(env, pf, n);
}
