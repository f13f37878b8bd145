/**
 * qemu `reconnect begin`: the daemon restarted while the guest runs. Adopt its VFs into the
 * state as they are, touching nothing, each on its own: a VF that can't be found or read is
 * logged and the others are still adopted (an unadopted VF keeps its guest's VLAN after the
 * guest stops). Never fails: libvirt kills the guest if it does.
 */
import { formatPciAddress } from '../../model/pci-address.js';
import { changedAfter } from '../../plan/guest-vf.js';
import { describeVf } from '../../plan/vf-snapshot.js';
import { sameOwner, type Owner } from '../../state/vf-record.js';
import type { DomainXml } from '../../xml/domain.js';
import { OK, type HookEnv, type HookOutcome } from '../hook-env.js';
import { resolveVf } from '../../host/vf-locate.js';
import { readPfs, snapshotIn } from '../vf-read.js';
import { checkOwnVfs, devicesOf, type PinnedDevice } from './domain-devices.js';

export async function reconnect(env: HookEnv, domain: DomainXml): Promise<HookOutcome> {
  const owner: Owner = { name: domain.name, uuid: domain.uuid };
  const problems: string[] = [];
  const devices = devicesOf(env, domain);
  checkOwnVfs(domain, devices); // XML libvirt would not run changes nothing
  const found: PinnedDevice[] = devices.flatMap((device) => {
    if (!device.fields.vf) return [];
    const vf = resolveVf(env, device.fields.vf);
    if (vf) return [{ device, vf }];
    problems.push(`${device.label}: VF ${formatPciAddress(device.fields.vf)} is not a VF of this host: not adopted`);
    return [];
  });
  await env.state.locked(async () => {
    const unknown = found.filter(({ vf }) => {
      const r = env.state.get(vf.pci);
      env.report.vfs.add(describeVf(vf));
      return !(r && sameOwner(r.owner, owner));
    });
    if (unknown.length === 0) return;
    // one ip for all; if that fails, one per PF, so one PF that can't be read costs only its own VFs
    const pfs = [...new Set(unknown.map((u) => u.vf.pf))];
    let links = await readPfs(env, pfs).catch(() => null);
    if (!links) {
      links = new Map();
      for (const pf of pfs) {
        try {
          links.set(pf, (await readPfs(env, [pf])).get(pf)!);
        } catch (e) {
          problems.push(`could not read ${pf}: ${(e as Error).message}`);
        }
      }
    }
    for (const { device, vf } of unknown) {
      if (!links.has(vf.pf)) {
        problems.push(`${describeVf(vf)}: not adopted (its PF could not be read)`);
        continue;
      }
      try {
        const now = snapshotIn(links, vf);
        // never seen before the guest: release will leave a clean VF rather than guess
        env.state.put({ ...vf, owner, style: device.style, network: null, original: null, guest: now, changed: changedAfter(null, []), phase: 'running', updated: new Date().toISOString() });
        env.report.note(`${describeVf(vf)}: adopted for ${domain.name} as it is`);
      } catch (e) {
        problems.push(`${describeVf(vf)}: not adopted: ${(e as Error).message}`);
      }
    }
  });
  for (const p of problems) env.report.note(p);
  return problems.length ? { exitCode: 0, result: 'failed' } : OK;
}
