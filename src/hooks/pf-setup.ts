/**
 * A PF ready for its guests: brought to its VF count (never destroying VFs in use) and up.
 */
import { configFileOf } from '../config/config-path.js';
import { OperationError } from '../errors.js';
import { readPfSysfs, readVfBinding, waitForVfs } from '../host/host-model.js';
import type { PfLink } from '../host/ip-link.js';
import { isVfOpsFailed } from '../host/vf-port.js';
import { isInterfaceName } from '../model/interface-name.js';
import { planVfCount } from '../plan/vf-count.js';
import { recordHolders } from '../pool/vf-holders.js';
import { describeVfUse, inUseNow, vfUse } from '../pool/vf-use.js';
import type { HookEnv } from './hook-env.js';

/** The VFs of a PF in use now (pool/vf-use.ts; a hook knows the guests by their records), each with who uses it. */
export function vfsInUse(env: HookEnv, pf: string): string[] {
  const holders = recordHolders(env.state.all().filter((r) => r.pf === pf));
  return readPfSysfs(env.sysfs, pf).vfAddresses.flatMap((pci) => {
    const use = vfUse(holders.get(pci), readVfBinding(env.sysfs, pci));
    return use && inUseNow(use) ? [`${pci} (${describeVfUse(use)})`] : [];
  });
}

/**
 * Bring `pf` up to `wanted` VFs (never down): 0 then N where needed, refusing to destroy VFs in
 * use. True when it (re)created the VFs: they are fresh, nothing of anyone's is on them.
 */
export async function ensureVfCount(env: HookEnv, pf: string, wanted: number): Promise<boolean> {
  const config = configFileOf(env.config);
  if (!isInterfaceName(pf)) throw new OperationError(`${JSON.stringify(pf)} is not a network interface name`, `fix the pfs in ${config}`);
  const sys = readPfSysfs(env.sysfs, pf);
  if (!sys.pci) throw new OperationError(`PF ${pf} does not exist on this host`, `check the name with \`ip link\`, and the pfs in ${config}`);
  if (!env.sysfs.exists(`class/net/${pf}/device/sriov_totalvfs`)) {
    throw new OperationError(`${pf} can't have VFs (no sriov_totalvfs)`, 'enable SR-IOV for this NIC in the BIOS and in the NIC\'s own settings');
  }
  const plan = planVfCount(pf, sys.numVfs, wanted, sys.totalVfs, sys.numVfs ? vfsInUse(env, pf) : []);
  if (plan.kind === 'impossible') throw new OperationError(plan.why, plan.fix);
  for (const n of plan.writes) {
    try {
      env.sysfs.write(`class/net/${pf}/device/sriov_numvfs`, String(n));
    } catch (e) {
      throw new OperationError(`${pf}: the kernel refused ${n} VFs (sriov_numvfs): ${(e as Error).message}`,
        'check `dmesg` for the driver\'s reason; some NICs need SR-IOV enabled in firmware');
    }
  }
  if (plan.writes.length === 0) return false;
  await waitForVfs(env.sysfs, pf, wanted);
  env.report.note(`${pf}: VFs ${sys.numVfs} -> ${wanted}`);
  return true;
}

/**
 * A PF must be up: libvirt can set a VF's MAC only on a PF that is up. virt-sriov brings it up
 * only when the config says so (pfs.PF.bringUp), as libvirt refuses to: bringing up an
 * interface that nothing configures starts IPv6 autoconfiguration on it.
 */
export async function ensurePfUp(env: HookEnv, link: PfLink): Promise<void> {
  if (link.up) return;
  const pf = link.ifname;
  if (!env.config.pfs[pf]?.bringUp) {
    throw new OperationError(`PF ${pf} is down, and libvirt sets a VF's MAC only on a PF that is up`,
      `bring it up: \`ip link set ${pf} up\`, and at boot (e.g. "auto ${pf}" and "iface ${pf} inet manual" in /etc/network/interfaces); or let virt-sriov do it: "pfs": {"${pf}": {"bringUp": true}} in ${configFileOf(env.config)}`);
  }
  try {
    await env.vfPort.bringUp(pf);
  } catch (e) {
    const why = isVfOpsFailed(e) ? e.reason : (e as Error).message.split('\n')[0]!.trim();
    throw new OperationError(`PF ${pf} is down and could not be brought up: ${why}`, `check \`ip link show ${pf}\` and \`dmesg\`; bring it up with \`ip link set ${pf} up\``);
  }
  env.report.note(`${pf}: brought up`);
}
