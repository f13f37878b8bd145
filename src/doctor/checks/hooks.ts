/**
 * The hooks: installed where this libvirt looks for them, and loaded. libvirt looks for hooks
 * only when a daemon starts, so a daemon started before the hook files changed runs the old
 * hooks, or none.
 */
import { atLeast, formatVersion, version } from '../../versions/version.js';
import { HOOK_DRIVERS, type Check, type DaemonName, type DoctorFacts, type HookDriver, type HookFile } from '../facts.js';
import { fail, list, ok, warn } from './check.js';
import { libvirtVersion } from './libvirt.js';

/** hooks/<driver>.d/ directories came in libvirt 6.5.0. */
const HOOK_DIRS_SINCE = version('6.5.0');

const INSTALL_FIX = 'run ./install.sh as root from the virt-sriov source tree, then restart the libvirt daemon as it says';

/** Which hooks each daemon runs: the monolithic libvirtd all; each modular daemon its driver's and the daemon hook. */
export const DAEMON_HOOKS: Readonly<Record<DaemonName, readonly HookDriver[]>> = {
  libvirtd: ['qemu', 'network', 'daemon'],
  virtqemud: ['qemu', 'daemon'],
  virtnetworkd: ['network', 'daemon'],
};

/**
 * A process start time is known to 10 ms, a file's mtime to the nanosecond; a daemon restarted
 * by the same script that installed the hooks starts a few ms later. Counting a daemon as stale
 * only when it started this much earlier keeps rounding from raising a false alarm.
 */
const START_TOLERANCE_MS = 50;

export function checkHooksInstalled(f: DoctorFacts): Check {
  const id = 'hooks-installed';
  const { installed, dir } = f.hooks;
  const missing = HOOK_DRIVERS.filter((d) => !installed.some((h) => h.driver === d));
  if (missing.length) {
    const summary = installed.length === 0
      ? `the virt-sriov hooks are not installed in ${dir} (no <driver>.d/virt-sriov, no <driver> hook marked "virt-sriov hook")`
      : `the virt-sriov ${list(missing)} hook${missing.length > 1 ? 's are' : ' is'} missing from ${dir} (found: ${list(installed.map((h) => h.path))})`;
    return fail(id, summary, INSTALL_FIX);
  }
  const notExecutable = installed.filter((h) => !h.executable);
  if (notExecutable.length) {
    return fail(id, `libvirt skips hooks that are not executable: ${list(notExecutable.map((h) => h.path))}`, `chmod 0755 ${notExecutable.map((h) => h.path).join(' ')}`);
  }
  const libvirt = libvirtVersion(f);
  const inDirs = installed.filter((h) => h.layout === 'dir');
  if (libvirt && !atLeast(libvirt, HOOK_DIRS_SINCE) && inDirs.length) {
    return fail(id, `libvirt ${formatVersion(libvirt)} runs no hooks from hooks/<driver>.d/ (that came in 6.5.0): ${list(inDirs.map((h) => h.path))} never run`,
      `reinstall for this libvirt: ./install.sh --uninstall && ./install.sh --libvirt-version ${formatVersion(libvirt)} (puts them at ${dir}/qemu, network and daemon)`);
  }
  const twice = HOOK_DRIVERS.filter((d) => installed.filter((h) => h.driver === d).length > 1);
  if (twice.length && (!libvirt || atLeast(libvirt, HOOK_DIRS_SINCE))) {
    return warn(id, `the ${list(twice)} hook${twice.length > 1 ? 's are' : ' is'} installed twice (as ${dir}/X and ${dir}/X.d/virt-sriov): libvirt runs both`,
      `run ./install.sh --uninstall, remove the leftover copies, then ./install.sh`);
  }
  const layouts = new Set(installed.map((h) => h.layout));
  const where = layouts.size > 1 ? list(HOOK_DRIVERS.map((d) => installed.find((h) => h.driver === d)!.path))
    : `${dir}/{${HOOK_DRIVERS.join(',')}}${layouts.has('dir') ? '.d/virt-sriov' : ''}`;
  return ok(id, `qemu, network and daemon hooks installed: ${where}`);
}

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

export function checkDaemonRestarted(f: DoctorFacts): Check {
  const id = 'daemon-restarted';
  const { installed } = f.hooks;
  if (installed.length === 0) return warn(id, 'not checked: no virt-sriov hook is installed', 'install the hooks first (see hooks-installed)');
  if (f.daemons.length === 0) return ok(id, 'no libvirt daemon is running now: it loads the hooks when it starts');
  const stale: { daemon: string; pid: number; started: number; hook: HookFile }[] = [];
  for (const d of f.daemons) {
    const hooks = installed.filter((h) => DAEMON_HOOKS[d.name].includes(h.driver));
    const newest = hooks.reduce<HookFile | null>((a, h) => (a && a.mtimeMs >= h.mtimeMs ? a : h), null);
    if (newest && d.startedAtMs + START_TOLERANCE_MS < newest.mtimeMs) stale.push({ daemon: d.name, pid: d.pid, started: d.startedAtMs, hook: newest });
  }
  if (stale.length) {
    const names = [...new Set(stale.map((s) => s.daemon))];
    const s = stale[0]!;
    return fail(id, `${s.daemon} (pid ${s.pid}) started ${when(s.started)}, before ${s.hook.path} changed (${when(s.hook.mtimeMs)}): `
      + `${names.length > 1 ? `${list(names)} run` : 'it runs'} the old hooks or none`,
      `systemctl restart ${names.join(' ')} (running guests keep running)`);
  }
  const running = f.daemons.map((d) => `${d.name} (pid ${d.pid})`);
  return ok(id, `${list(running)} started after the hooks were installed`);
}
