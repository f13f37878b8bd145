/**
 * A PF's link, as `ip -o monitor link` reports it, and when a PF came back: after a PF goes down
 * and up, or its driver resets (i40e and ice wipe every VF's settings on a reset, and bounce the
 * link as they do), the running guests' VFs must be looked at again. Pure: lines in, PFs out.
 */

export interface LinkEvent {
  readonly ifname: string;
  /** RTM_DELLINK: the interface went away (a driver unloaded). */
  readonly deleted: boolean;
  /** Administratively up (the UP flag). */
  readonly up: boolean;
  /** Carrier (LOWER_UP). */
  readonly carrier: boolean;
}

// "2: ifb0: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 ...", "Deleted 5: eth1: <...> ...", "7: vnet0@if2: <...>"
const LINE = /^(Deleted )?\d+: ([^:@\s]+)(?:@[^:\s]+)?: <([^>]*)>/;

/** One line of `ip -o monitor link`; null for anything else (ip's own messages). */
export function parseMonitorLine(line: string): LinkEvent | null {
  const m = LINE.exec(line.trim());
  if (!m) return null;
  const flags = m[3]!.split(',');
  return { ifname: m[2]!, deleted: m[1] !== undefined, up: flags.includes('UP'), carrier: flags.includes('LOWER_UP') };
}

/**
 * Which PF came back: seen up (with or without carrier: a PF without a cable still serves its
 * VFs) after it was down, without carrier, or gone. A PF's first event counts as coming back:
 * the event is the news, and a look too many costs one read.
 */
export class PfLinkTracker {
  readonly #last = new Map<string, string>();

  /** The PF's name when this event brings it back, else null. */
  feed(e: LinkEvent): string | null {
    const state = e.deleted ? 'gone' : !e.up ? 'down' : e.carrier ? 'up' : 'up-no-carrier';
    const before = this.#last.get(e.ifname);
    this.#last.set(e.ifname, state);
    if (state !== 'up' && state !== 'up-no-carrier') return null;
    return before === state ? null : e.ifname;
  }
}
