import { randomBytes } from 'node:crypto';

const MAC_FORM = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Whether `mac` is written as a MAC (six hex pairs, colons, lower case), whatever its kind. */
export function isMacForm(mac: string): boolean {
  return MAC_FORM.test(mac);
}

/** Why a MAC can't be a VF's unicast address, or null when it can. Expects lower case. */
export function macProblem(mac: string): string | null {
  if (!MAC_FORM.test(mac)) return 'is not a MAC address (six hex pairs separated by colons)';
  if (/^(00:){5}00$/.test(mac)) return 'is all zeros';
  if (parseInt(mac.slice(0, 2), 16) & 1) return 'is a multicast address (the first octet is odd)';
  return null;
}

export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase();
}

/**
 * A random locally administered unicast MAC, in QEMU's 52:54:00 range as libvirt generates
 * for guests, so it reads as a guest MAC in `ip link` output.
 */
export function generateMac(taken: ReadonlySet<string> = new Set()): string {
  for (;;) {
    const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'));
    const mac = ['52', '54', '00', ...tail].join(':');
    if (!taken.has(mac)) return mac;
  }
}
