/**
 * The watcher. libvirt runs no hook on a hot-plug or an unplug, so without `virt-sriov watch`
 * a VF plugged with plain `virsh attach-device` into a guest that assigns VFs by address
 * (<hostdev>, <interface type='hostdev'>) keeps the VLAN and trust it had, and one unplugged
 * stays claimed. Network style is not warned of: libvirt runs the network hook for its ports and
 * sets the port's VLAN itself; the watcher adds only what libvirt can't set (trust, rates).
 */
import type { Check, DoctorFacts, GuestFacts } from '../facts.js';
import { list, ok, plural, warn } from './check.js';

export const WATCH_UNIT = 'virt-sriov-watch.service';

/** How many guests a summary names; the rest are counted. */
const NAMED = 5;

/** The guests whose devices may be VFs: a VF of this host, or an address with no device now (VFs don't survive a reboot). */
export function guestsNeedingWatcher(guests: readonly GuestFacts[]): GuestFacts[] {
  return guests.filter((g) => g.devices.some((d) => d.device !== 'other'));
}

export function checkWatcher(f: DoctorFacts): Check {
  const id = 'watcher';
  const w = f.watcher;
  if (w.running) return ok(id, `virt-sriov watch runs${w.pid ? ` (pid ${w.pid})` : ''}: it holds ${w.lockFile}`);
  const ended = w.pid ? ` (its pid file names pid ${w.pid}, which ended without removing it)` : '';
  const notRunning = `virt-sriov watch does not run${ended}`;
  if (f.guests === 'remote') return ok(id, `${notRunning}; whether ${f.libvirt.uri}'s guests need it is for doctor on that host`);
  if ('error' in f.guests) return ok(id, `${notRunning}; whether guests need it is unknown: libvirt could not list the domains`);
  const needing = guestsNeedingWatcher(f.guests);
  if (needing.length === 0) return ok(id, `${notRunning}, and no guest assigns a VF by address (<hostdev>, <interface type='hostdev'>): nothing needs it now`);
  const names = needing.slice(0, NAMED).map((g) => g.name);
  const named = needing.length > NAMED ? `${names.join(', ')} and ${needing.length - NAMED} more` : list(names);
  return warn(id, `${plural(needing.length, 'guest')} assign${needing.length === 1 ? 's' : ''} VFs by address (${named}) and ${notRunning}: `
    + 'a VF plugged into them with plain virsh attach-device keeps the VLAN and trust it had, and one unplugged with detach-device stays claimed',
  watcherFix(f));
}

function watcherFix(f: DoctorFacts): string {
  const w = f.watcher;
  if (!w.systemd) return 'run `virt-sriov watch` (it stays in the foreground) under this host\'s service supervisor';
  if (!w.unit) return `./install.sh --with-watcher (installs ${WATCH_UNIT}, enables and starts it)`;
  return `${w.pid ? 'journalctl -u virt-sriov-watch says why it ended; then ' : ''}systemctl enable --now virt-sriov-watch`;
}
