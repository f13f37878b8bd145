/**
 * The daemon hook's `start`: VFs don't survive a reboot, so bring every configured PF up and
 * to its VF count before libvirt autostarts networks and guests, and run the driver quirks the
 * config asks for. A PF that can't be set up is logged and the others still are.
 */
import { OK, type HookEnv, type HookOutcome } from './hook-env.js';
import { ensurePfUp, ensureVfCount, readPfs, vfsInUse } from './vf-host.js';

export async function daemonStart(env: HookEnv): Promise<HookOutcome> {
  const problems: string[] = [];
  for (const [pf, { numVfs, quirks }] of Object.entries(env.config.pfs)) {
    try {
      await ensureVfCount(env, pf, numVfs);
      const links = await readPfs(env, [pf]);
      await ensurePfUp(env, links.get(pf)!);
      if (quirks?.includes('recreate-vfs-after-mac')) recreateVfs(env, pf, numVfs);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  // the daemon starts either way: report, don't fail (nothing is protected by failing here)
  for (const p of problems) env.report.note(p);
  return problems.length ? { exitCode: 0, result: 'failed' } : OK;
}

/**
 * Some drivers (the seed's bnx2x) apply new VF MACs only once the VFs are re-created. Only
 * while no VF is in use: re-creating destroys them.
 */
function recreateVfs(env: HookEnv, pf: string, numVfs: number): void {
  const inUse = vfsInUse(env, pf);
  if (inUse.length) {
    env.report.note(`${pf}: not re-creating VFs (quirk recreate-vfs-after-mac): in use by ${inUse.join(', ')}`);
    return;
  }
  env.sysfs.write(`class/net/${pf}/device/sriov_numvfs`, '0');
  env.sysfs.write(`class/net/${pf}/device/sriov_numvfs`, String(numVfs));
  env.report.note(`${pf}: VFs re-created (quirk recreate-vfs-after-mac)`);
}
