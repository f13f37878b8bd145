/**
 * The daemon hook's `start`: VFs don't survive a reboot, so bring every configured PF up and
 * to its VF count before libvirt autostarts networks and guests, and run the driver quirks its
 * driver's profile (or the config) names on the VFs it created. A PF that can't be set up is
 * logged and the others still are.
 */
import { isVf, waitForVfs } from '../host/host-model.js';
import { planChanges, type VfRef } from '../plan/vf-snapshot.js';
import { DomainXml } from '../xml/domain.js';
import { OK, type HookEnv, type HookOutcome } from './hook-env.js';
import { ensurePfUp, ensureVfCount, vfsInUse } from './pf-setup.js';
import { pfDriver, resolveVf } from '../host/vf-locate.js';
import { readPfs, snapshotIn } from './vf-read.js';
import { applyChanges } from './vf-write.js';

export async function daemonStart(env: HookEnv): Promise<HookOutcome> {
  const problems: string[] = [];
  for (const [pf, { numVfs, quirks }] of Object.entries(env.config.pfs)) {
    try {
      // under the vfs lock, as every change to a PF's VFs: a guest may be starting already
      await env.state.locked(async () => {
        const fresh = await ensureVfCount(env, pf, numVfs);
        const links = await readPfs(env, [pf]);
        await ensurePfUp(env, links.get(pf)!);
        const recreate = quirks?.includes('recreate-vfs-after-mac') || pfDriver(env, pf).profile?.quirks.includes('recreate-vfs-after-mac');
        if (recreate && fresh) await setMacsThenRecreate(env, pf, numVfs);
        // VFs that outlived this daemon's restart carry what guests and the host's admin set on
        // them, and the host may be using their netdevs: re-creating them would lose both
        else if (recreate) env.report.note(`${pf}: VFs kept as they are (quirk recreate-vfs-after-mac: re-created only at boot, when this hook creates them)`);
      });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  // the daemon starts either way: report, don't fail (nothing is protected by failing here)
  for (const p of problems) env.report.note(p);
  return problems.length ? { exitCode: 0, result: 'failed' } : OK;
}

/**
 * Some drivers (the seed's bnx2x) take a VF's MAC only once the VFs are re-created: set the
 * MACs the defined <hostdev> guests ask for on the VFs just created, then re-create them (the
 * seed's `echo 0`, `echo 8`, "once the host is running"). Only while no VF is in use:
 * re-creating destroys them.
 */
async function setMacsThenRecreate(env: HookEnv, pf: string, numVfs: number): Promise<void> {
  const inUse = vfsInUse(env, pf);
  if (inUse.length) {
    env.report.note(`${pf}: not re-creating VFs (quirk recreate-vfs-after-mac): in use by ${inUse.join(', ')}`);
    return;
  }
  const links = await readPfs(env, [pf]);
  const changes = hostdevMacs(env, pf).flatMap(({ vf, mac }) => planChanges(vf, snapshotIn(links, vf), { mac }));
  await applyChanges(env, changes);
  env.sysfs.write(`class/net/${pf}/device/sriov_numvfs`, '0');
  env.sysfs.write(`class/net/${pf}/device/sriov_numvfs`, String(numVfs));
  await waitForVfs(env.sysfs, pf, numVfs);
  env.report.note(`${pf}: VFs re-created after setting ${changes.length} MAC(s) (quirk recreate-vfs-after-mac)`);
}

/** The MACs that defined domains give VFs of `pf` in plain <hostdev> style (from their metadata). */
function hostdevMacs(env: HookEnv, pf: string): { vf: VfRef; mac: string }[] {
  const found: { vf: VfRef; mac: string }[] = [];
  for (const text of env.definedDomains()) {
    try {
      const domain = DomainXml.read(text, 'a defined domain');
      for (const d of domain.sriovDevices({ isVf: (a) => isVf(env.sysfs, a), isHostdevNetwork: () => false })) {
        const vf = d.style === 'hostdev' && d.fields.vf ? resolveVf(env, d.fields.vf) : null;
        if (vf?.pf === pf && d.settings.mac) found.push({ vf, mac: d.settings.mac });
      }
    } catch {
      // a domain we can't read gives no MAC; its own start will say what is wrong
    }
  }
  return found;
}
