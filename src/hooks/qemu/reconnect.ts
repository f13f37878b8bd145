/**
 * qemu `reconnect begin`: the daemon restarted while the guest runs. Adopt its VFs into the
 * state as they are, touching nothing. Never fails: libvirt kills the guest if it does.
 */
import { describeVf } from '../../plan/vf-snapshot.js';
import { sameOwner, type Owner } from '../../state/vf-record.js';
import type { DomainXml } from '../../xml/domain.js';
import { OK, type HookEnv, type HookOutcome } from '../hook-env.js';
import { readPfs, snapshotIn } from '../vf-host.js';
import { devicesOf, pinnedDevices } from './domain-devices.js';

export async function reconnect(env: HookEnv, domain: DomainXml): Promise<HookOutcome> {
  const pinned = pinnedDevices(env, domain, devicesOf(env, domain));
  const owner: Owner = { name: domain.name, uuid: domain.uuid };
  return env.state.locked(async () => {
    const unknown = pinned.filter(({ vf }) => {
      const r = env.state.get(vf.pci);
      env.report.vfs.add(describeVf(vf));
      return !(r && sameOwner(r.owner, owner));
    });
    if (unknown.length === 0) return OK;
    const links = await readPfs(env, unknown.map((p) => p.vf.pf));
    for (const { device, vf } of unknown) {
      const now = snapshotIn(links, vf);
      // never seen before the guest: release will leave a clean VF rather than guess
      env.state.put({ ...vf, owner, style: device.style, network: null, original: null, guest: now, phase: 'running', updated: new Date().toISOString() });
      env.report.note(`${describeVf(vf)}: adopted for ${domain.name} as it is`);
    }
    return OK;
  });
}
