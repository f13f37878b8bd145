/**
 * Values as admins write them, in metadata attributes and CLI options, parsed: on/off, whole
 * numbers, VLAN[:QOS], link states, MACs. What is then allowed is vf-settings.ts's rules.
 */
import { InputError } from '../errors.js';
import { normalizeMac } from './mac.js';
import type { LinkState, Vlan } from './vf-settings.js';

export function parseOnOff(text: string, what: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === 'on' || t === 'yes' || t === 'true') return true;
  if (t === 'off' || t === 'no' || t === 'false') return false;
  throw new InputError(`${what} '${text}' is neither on nor off`, `write ${what}='on' or ${what}='off'`);
}

export function parseInteger(text: string, what: string): number {
  const t = text.trim();
  if (!/^-?[0-9]+$/.test(t)) throw new InputError(`${what} '${text}' is not a whole number`, `write ${what} in decimal, e.g. 100`);
  return Number(t);
}

/** `403` or `403:3` (tag:qos). */
export function parseVlan(text: string, what = 'VLAN'): Vlan {
  const [id, qos, extra] = text.split(':');
  if (extra !== undefined || id === undefined) {
    throw new InputError(`${what} '${text}' is not a VLAN`, 'write TAG or TAG:QOS, e.g. 403 or 403:3');
  }
  return qos === undefined ? { id: parseInteger(id, what) } : { id: parseInteger(id, what), qos: parseInteger(qos, `${what} QoS`) };
}

export function parseLinkState(text: string): LinkState {
  return text.trim().toLowerCase() as LinkState; // validateSettings names the allowed values
}

export function parseMac(text: string): string {
  return normalizeMac(text);
}
