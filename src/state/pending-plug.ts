/**
 * A network-style NIC that `attach --live` is about to hot-plug. libvirt's pool picks its VF and
 * runs the network hook's `port-created` before it readies the device, and runs no qemu hook: the
 * guest's own settings (trust, spoofchk, link state, rates, query_rss, a VLAN priority) can reach
 * the VF in time only through the hook, and a hook never calls libvirt. So the CLI leaves them
 * here, keyed by the guest and the NIC's MAC (which the port carries), before it asks libvirt;
 * the hook puts them on the VF it claims and writes down which VF that was; the CLI takes the
 * entry away once libvirt has answered, whatever the answer.
 *
 * An entry outlives its CLI only if the CLI was killed in between: it expires, so a later plug of
 * that MAC never gets stale settings, and whoever finds it expired removes it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isMacForm } from '../model/mac.js';
import type { VfSettings } from '../model/vf-settings.js';
import { writeJsonAtomic } from './json-file.js';
import type { Owner } from './vf-record.js';

/** How long an announced hot-plug waits for its `port-created`: libvirt's attach, job wait included, takes far less. */
export const PLUG_TTL_MS = 5 * 60_000;

const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PendingPlug {
  readonly owner: Owner;
  /** The NIC's MAC, as libvirt puts it in the port (lower case). */
  readonly mac: string;
  readonly network: string;
  /** The device as the admin names it, for messages: "interface 52:54:00:...". */
  readonly label: string;
  /** Everything the guest asks of the VF (the network's defaults and the port's VLAN go under it). */
  readonly settings: VfSettings;
  readonly expires: string;
  /** The VF `port-created` claimed for it; absent until then. */
  readonly vf?: string;
}

export interface PendingPlugs {
  put(plug: PendingPlug): void;
  /** The entry for this guest's NIC, unless it expired (then it is removed). */
  find(owner: Owner, mac: string, now?: Date): PendingPlug | null;
  remove(owner: Owner, mac: string): void;
  /** Every entry that has not expired (expired ones are removed). */
  all(now?: Date): PendingPlug[];
}

export function pendingPlugs(stateDir: string): PendingPlugs {
  const dir = join(stateDir, 'plugs');
  // by UUID where there is one (libvirt's port always names it): a guest renamed meanwhile is the
  // same guest. What names the file comes from hook stdin too: a MAC or UUID of another form
  // names no entry (never a path out of plugs/).
  const file = (owner: Owner, mac: string): string | null => {
    const m = mac.toLowerCase();
    if (!isMacForm(m)) return null;
    const who = owner.uuid !== null && UUID_FORM.test(owner.uuid) ? owner.uuid.toLowerCase() : encodeURIComponent(owner.name);
    return join(dir, `${who}_${m.replaceAll(':', '')}.json`);
  };
  const read = (path: string, now: Date): PendingPlug | null => {
    let plug: PendingPlug;
    try {
      plug = JSON.parse(readFileSync(path, 'utf8')) as PendingPlug;
    } catch {
      return null;
    }
    // an expiry that is no time counts as passed
    if (!isPlug(plug) || !(Date.parse(plug.expires) > now.getTime())) {
      rmSync(path, { force: true });
      return null;
    }
    return plug;
  };
  return {
    put(plug) {
      const path = file(plug.owner, plug.mac);
      if (!path) throw new Error(`not a MAC address: ${plug.mac}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeJsonAtomic(path, plug); // the hook reads a whole entry or none
    },
    find(owner, mac, now = new Date()) {
      const path = file(owner, mac);
      return path ? read(path, now) : null;
    },
    remove(owner, mac) {
      const path = file(owner, mac);
      if (path) rmSync(path, { force: true });
    },
    all(now = new Date()) {
      let names: string[];
      try {
        names = readdirSync(dir).filter((n) => n.endsWith('.json'));
      } catch {
        return [];
      }
      return names.map((n) => read(join(dir, n), now)).filter((p): p is PendingPlug => p !== null);
    },
  };
}

function isPlug(p: unknown): p is PendingPlug {
  const x = p as Partial<PendingPlug> | null;
  return typeof x === 'object' && x !== null && typeof x.owner === 'object' && x.owner !== null && typeof x.owner.name === 'string'
    && typeof x.mac === 'string' && typeof x.network === 'string' && typeof x.label === 'string' && typeof x.expires === 'string'
    && typeof x.settings === 'object' && x.settings !== null;
}
