/**
 * qemu `prepare begin`: before libvirt touches any device. Validate every SR-IOV setting,
 * create VFs that don't exist yet (after a reboot), refuse a VF another guest holds, and claim
 * the domain's VFs with their state from before the guest, so `release` can put it back.
 */
import { configFileOf } from '../../config/config-path.js';
import { OperationError } from '../../errors.js';
import { formatPciAddress } from '../../model/pci-address.js';
import { guestDesired } from '../../plan/guest-vf.js';
import { describeUnsupported, unsupportedSettings } from '../../drivers/vf-support.js';
import { describeVf, type VfRef, type VfSnapshot } from '../../plan/vf-snapshot.js';
import type { DomainXml, SriovDevice } from '../../xml/domain.js';
import { OK, type HookEnv, type HookOutcome } from '../hook-env.js';
import { ensurePfUp, ensureVfCount, pfDriver, readPfs, snapshotIn } from '../vf-host.js';
import { domainVfs, ownRecord } from './domain-devices.js';

export async function prepare(env: HookEnv, domain: DomainXml): Promise<HookOutcome> {
  await createMissingVfs(env, domain);
  const { owner, pinned } = domainVfs(env, domain);
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
        guest: guestDesired(device.settings, now[i]!, pfDriver(env, vf.pf).profile), phase: 'claimed', updated: new Date().toISOString(),
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

/** VFs don't survive a reboot: bring configured PFs to their count when the domain names a VF that isn't there. */
async function createMissingVfs(env: HookEnv, domain: DomainXml): Promise<void> {
  const missing = domain.pciSources().filter((s) => !env.sysfs.exists(`bus/pci/devices/${formatPciAddress(s.address)}`));
  if (missing.length === 0) return;
  for (const [pf, { numVfs }] of Object.entries(env.config.pfs)) {
    await ensureVfCount(env, pf, numVfs);
  }
  const still = missing.find((s) => !env.sysfs.exists(`bus/pci/devices/${formatPciAddress(s.address)}`));
  if (still) {
    const configured = Object.entries(env.config.pfs).map(([pf, c]) => `${pf}: ${c.numVfs} VFs`).join(', ');
    throw new OperationError(`domain ${domain.name}: ${still.label} names a PCI device this host doesn't have${configured ? ` (configured PFs have their VFs: ${configured})` : ''}`,
      configured ? 'point the domain at an existing VF (`virt-sriov status`)'
        : `if it is a VF, set its PF's count in ${configFileOf(env.config)} ("pfs": {"eth1": {"numVfs": 8}}) so virt-sriov creates it`);
  }
}
