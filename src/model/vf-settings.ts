/**
 * What a VF's settings are (everything `ip link set PF vf N ...` can set), the rules their
 * values follow, and how each reads to an admin. Reading them from what admins write is
 * admin-values.ts's.
 */
import { InputError } from '../errors.js';
import { macProblem } from './mac.js';

export type LinkState = 'auto' | 'enable' | 'disable';
export const LINK_STATES: readonly LinkState[] = ['auto', 'enable', 'disable'];

export interface Vlan {
  /** 802.1Q tag, 1-4094. */
  readonly id: number;
  /** 802.1p priority, 0-7. */
  readonly qos?: number;
}

/** Everything `ip link set PF vf N ...` can set on a VF. Absent means "leave as it is". */
export interface VfSettings {
  readonly mac?: string;
  readonly vlan?: Vlan;
  readonly trust?: boolean;
  readonly spoofchk?: boolean;
  readonly linkState?: LinkState;
  /** Mbit/s; 0 means no limit. */
  readonly minTxRate?: number;
  readonly maxTxRate?: number;
  readonly queryRss?: boolean;
}

export type SettingName = keyof VfSettings;
export const SETTING_NAMES: readonly SettingName[] = [
  'mac', 'vlan', 'trust', 'spoofchk', 'linkState', 'minTxRate', 'maxTxRate', 'queryRss',
];

export const VLAN_RANGE = { min: 1, max: 4094 } as const;
export const QOS_RANGE = { min: 0, max: 7 } as const;
/** The kernel takes rates as u32 Mbit/s. */
export const RATE_MAX = 0xffffffff;

export function isEmpty(s: VfSettings): boolean {
  return SETTING_NAMES.every((k) => s[k] === undefined);
}

/** Drop the undefined keys, so two settings compare and print cleanly. */
export function compact(s: VfSettings): VfSettings {
  const out: Record<string, unknown> = {};
  for (const k of SETTING_NAMES) if (s[k] !== undefined) out[k] = s[k];
  return out as VfSettings;
}

export function pick(s: VfSettings, keys: readonly SettingName[]): VfSettings {
  return compact(Object.fromEntries(keys.map((k) => [k, s[k]])) as VfSettings);
}

export function omit(s: VfSettings, keys: readonly SettingName[]): VfSettings {
  return pick(s, SETTING_NAMES.filter((k) => !keys.includes(k)));
}

/**
 * Check every value against what the kernel and the 802.1Q standard allow. `device` names the
 * device in the admin's terms ("hostdev 0000:01:10.2 of domain vm1") for the message.
 */
export function validateSettings(s: VfSettings, device: string): VfSettings {
  const fail = (what: string, fix: string): never => {
    throw new InputError(`${device}: ${what}`, fix);
  };
  if (s.mac !== undefined) {
    const problem = macProblem(s.mac);
    if (problem) fail(`MAC '${s.mac}' ${problem}`, 'give a unicast MAC such as 52:54:00:12:34:56');
  }
  if (s.vlan !== undefined) {
    const { id, qos } = s.vlan;
    if (!Number.isInteger(id) || id < VLAN_RANGE.min || id > VLAN_RANGE.max) {
      fail(`VLAN ${id} is out of range (${VLAN_RANGE.min}-${VLAN_RANGE.max})`,
        'give one 802.1Q tag from 1 to 4094; leave the VLAN out for untagged traffic');
    }
    if (qos !== undefined && (!Number.isInteger(qos) || qos < QOS_RANGE.min || qos > QOS_RANGE.max)) {
      fail(`VLAN QoS ${qos} is out of range (${QOS_RANGE.min}-${QOS_RANGE.max})`, 'give an 802.1p priority from 0 to 7');
    }
  }
  if (s.linkState !== undefined && !LINK_STATES.includes(s.linkState)) {
    fail(`link state '${s.linkState}' is unknown (allowed: ${LINK_STATES.join(', ')})`,
      'use auto to follow the PF, enable or disable to force it');
  }
  for (const key of ['minTxRate', 'maxTxRate'] as const) {
    const rate = s[key];
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 0 || rate > RATE_MAX)) {
      fail(`${describeSetting(key)} ${rate} is out of range (0-${RATE_MAX} Mbit/s)`,
        'give a whole number of Mbit/s; 0 means no limit');
    }
  }
  if (s.minTxRate && s.maxTxRate && s.minTxRate > s.maxTxRate) {
    fail(`min tx rate ${s.minTxRate} is above max tx rate ${s.maxTxRate} Mbit/s`,
      'make the minimum no larger than the maximum, or set the maximum to 0 (no limit)');
  }
  return s;
}

export function describeSetting(key: SettingName): string {
  return {
    mac: 'MAC', vlan: 'VLAN', trust: 'trust', spoofchk: 'spoofchk', linkState: 'link state',
    minTxRate: 'min tx rate', maxTxRate: 'max tx rate', queryRss: 'query_rss',
  }[key];
}

/** A setting's value as an admin would type it: `403`, `403:3`, `on`, `100`. */
export function formatSetting(key: SettingName, s: VfSettings): string | undefined {
  const v = s[key];
  if (v === undefined) return undefined;
  if (key === 'vlan') {
    const vlan = v as Vlan;
    return vlan.qos === undefined ? String(vlan.id) : `${vlan.id}:${vlan.qos}`;
  }
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}
