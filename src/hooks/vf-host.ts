/**
 * The hooks' hands on the host: find a VF's PF and index, read PFs (one `ip` per PF), apply
 * changes (one `ip -batch` per call), and bring a PF to its VF count.
 */
import { configFileOf } from '../config/config-path.js';
import { profileOf, ZERO_MAC, ZERO_MAC_FALLBACK, type DriverProfile } from '../drivers/driver-profiles.js';
import { OperationError } from '../errors.js';
import { isInterfaceName } from '../model/interface-name.js';
import { locateVf, pfNetdev, readPfSysfs, readVfBinding, waitForVfs } from '../host/host-model.js';
import { ipFailure } from '../host/ip.js';
import type { PfLink } from '../host/ip-link.js';
import { formatPciAddress, type PciAddress } from '../model/pci-address.js';
import { planVfCount } from '../plan/vf-count.js';
import { recordHolders } from '../pool/vf-holders.js';
import { describeVfUse, inUseNow, vfUse } from '../pool/vf-use.js';
import { describeVf, formatValue, mismatches, snapshotOf, writeAll, type VfChange, type VfDesired, type VfRef, type VfSnapshot } from '../plan/vf-snapshot.js';
import type { HookEnv } from './hook-env.js';

export function resolveVf(env: HookEnv, address: PciAddress): VfRef | null {
  const at = locateVf(env.sysfs, address);
  if (!at) return null;
  const pf = pfNetdev(env.sysfs, at.pfPci);
  return pf ? { pf, index: at.index, pci: formatPciAddress(address) } : null;
}

/** The PF's driver as sysfs names it, and what virt-sriov knows of it (null: a driver it doesn't know). */
export function pfDriver(env: HookEnv, pf: string): { driver: string | null; profile: DriverProfile | null } {
  const driver = env.sysfs.linkName(`class/net/${pf}/device/driver`);
  return { driver, profile: profileOf(driver) };
}

/** Read each PF once, all in one `ip` process. */
export async function readPfs(env: HookEnv, pfs: Iterable<string>): Promise<Map<string, PfLink>> {
  const names = [...new Set(pfs)];
  const links = await env.ip.showAll(names);
  return new Map(names.map((pf, i) => [pf, links[i]!]));
}

export function snapshotIn(links: Map<string, PfLink>, vf: VfRef): VfSnapshot {
  const state = links.get(vf.pf)?.vfs.find((v) => v.vf === vf.index);
  if (!state) {
    throw new OperationError(`${describeVf(vf)}: ${vf.pf} reports no VF ${vf.index}`, `check \`ip link show ${vf.pf}\`; the VFs may have been removed`);
  }
  return snapshotOf(state);
}

/** How often, and after how long, a MAC that doesn't show yet is written and read again (sriov-cni retries too). */
export const MAC_SETTLE_WAITS_MS: readonly number[] = [50, 100, 200, 400];

/**
 * Read the VFs back after `changes`, until each shows its MAC: a driver may take a MAC while the
 * VF resets and show it only later (i40e, ice). A MAC not shown yet is written and read again, a
 * bounded number of times; anything else is for the caller to judge. Returns the last read.
 */
export async function readBackSettled(env: HookEnv, changes: readonly VfChange[]): Promise<Map<string, PfLink>> {
  const macs = changes.filter((c) => c.keys.length === 1 && c.keys[0] === 'mac');
  const pfs = [...new Set(changes.map((c) => c.vf.pf))];
  let links = await readPfs(env, pfs);
  for (const wait of MAC_SETTLE_WAITS_MS) {
    // a zero MAC the driver refused stands in as 02:00:00:00:00:00 (applyAllYouCan)
    const shows = (c: VfChange, mac: string) => mac === c.to || (c.to === ZERO_MAC && mac === ZERO_MAC_FALLBACK);
    const late = macs.filter((c) => !shows(c, snapshotIn(links, c.vf).mac));
    if (late.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, wait));
    env.report.note(`MAC not shown yet on ${late.map((c) => describeVf(c.vf)).join(', ')}: written and read again after ${wait} ms`);
    await env.ip.batch(late.map((c) => c.argv));
    links = await readPfs(env, pfs);
  }
  return links;
}

/** Apply every change in one `ip -batch` process, and log each. */
export async function applyChanges(env: HookEnv, changes: readonly VfChange[]): Promise<void> {
  if (changes.length === 0) return;
  await env.ip.batch(changes.map((c) => c.argv));
  for (const c of changes) {
    env.report.changes.push({ pf: c.vf.pf, vf: c.vf.index, pci: c.vf.pci, setting: c.keys.join('/'), from: c.from, to: c.to });
  }
}

/**
 * Apply `changes` and read the VFs back: a VF that did not take what `targets` asks is an error
 * naming the VF and the settings. The caller puts back what it must (putBackTouched).
 */
export async function applyAndCheck(env: HookEnv, changes: readonly VfChange[], targets: readonly { vf: VfRef; desired: VfDesired; profile: DriverProfile | null }[]): Promise<void> {
  await applyChanges(env, changes);
  const after = changes.length ? await readBackSettled(env, changes) : await readPfs(env, targets.map((t) => t.vf.pf));
  for (const t of targets) {
    const actual = snapshotIn(after, t.vf);
    const wrong = mismatches(t.desired, actual, t.profile);
    if (wrong.length) {
      const what = wrong.map((k) => `${k} is ${formatValue(k, actual)}, not ${formatValue(k, t.desired)}`).join('; ');
      throw new OperationError(`${describeVf(t.vf)} did not take the settings: ${what}`, `the ${t.vf.pf} driver may not support them; see \`ip link show ${t.vf.pf}\``);
    }
  }
}

/** Put back every setting `applied` touched, to what `before` (by PCI address) had, doing all that can be done. */
export async function putBackTouched(env: HookEnv, applied: readonly VfChange[], before: ReadonlyMap<string, VfDesired>): Promise<void> {
  const undo = [...new Map(applied.map((c) => [c.vf.pci, c.vf])).values()].flatMap((vf) => {
    const keys = new Set(applied.filter((c) => c.vf.pci === vf.pci).flatMap((c) => c.keys));
    const previous = before.get(vf.pci)!;
    return writeAll(vf, Object.fromEntries([...keys].map((k) => [k, previous[k]])) as VfDesired);
  });
  const failed = await applyAllYouCan(env, undo);
  for (const f of failed) env.report.note(`could not put back ${f.change.keys.join('/')} on ${describeVf(f.change.vf)}: ${f.why}`);
}

/**
 * Apply changes one batch at a time, settings that fail skipped (for restores, which must do
 * all they can). A refused all-zero MAC is tried again as 02:00:00:00:00:00, as libvirt does
 * (virnetdev.c) for drivers the profiles don't know to refuse it. Returns the changes that
 * failed with why.
 */
export async function applyAllYouCan(env: HookEnv, changes: readonly VfChange[]): Promise<{ change: VfChange; why: string }[]> {
  const failed: { change: VfChange; why: string }[] = [];
  let rest = [...changes];
  while (rest.length) {
    try {
      await applyChanges(env, rest);
      return failed;
    } catch (e) {
      const { command, reason: why } = ipFailure((e as Error).message);
      const at = command ?? 0;
      const done = rest.slice(0, at);
      for (const c of done) env.report.changes.push({ pf: c.vf.pf, vf: c.vf.index, pci: c.vf.pci, setting: c.keys.join('/'), from: c.from, to: c.to });
      const change = rest[at]!;
      const zeroMac = change.keys.length === 1 && change.keys[0] === 'mac' && change.to === ZERO_MAC;
      if (zeroMac) env.report.note(`${describeVf(change.vf)}: the driver refused MAC ${ZERO_MAC} (${why}); trying ${ZERO_MAC_FALLBACK}, as libvirt does`);
      else failed.push({ change, why });
      rest = [...(zeroMac ? [{ ...change, to: ZERO_MAC_FALLBACK, argv: [...change.argv.slice(0, -1), ZERO_MAC_FALLBACK] }] : []), ...rest.slice(at + 1)];
    }
  }
  return failed;
}

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
    await env.ip.batch([['link', 'set', 'dev', pf, 'up']]);
  } catch (e) {
    throw new OperationError(`PF ${pf} is down and could not be brought up: ${ipFailure((e as Error).message).reason}`, `check \`ip link show ${pf}\` and \`dmesg\`; bring it up with \`ip link set ${pf} up\``);
  }
  env.report.note(`${pf}: brought up`);
}
