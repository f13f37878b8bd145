/**
 * Whether a PF's driver can give a guest what it asks for, decided before any VF changes (pure:
 * `prepare` and `port-created` refuse with it, `doctor` and the CLI may ask it too).
 */
import { describeSetting, formatSetting, SETTING_NAMES, type VfSettings } from '../model/vf-settings.js';
import type { VfSnapshot } from '../plan/vf-snapshot.js';
import { OPTIONAL_FIELDS, type DriverProfile, type OptionalField } from './driver-profiles.js';

export interface Unsupported {
  /** The setting as an admin writes it: `link state enable`, `VLAN QoS 3`. */
  readonly setting: string;
  readonly why: string;
}

/**
 * What of `asked` this VF's driver can't do. With a profile, its table decides; without one (a
 * driver virt-sriov doesn't know), a field the driver doesn't report is taken as one it can't set
 * (`vf` null: not read, nothing judged).
 */
export function unsupportedSettings(asked: VfSettings, vf: VfSnapshot | null, profile: DriverProfile | null): Unsupported[] {
  const out: Unsupported[] = [];
  const name = profile?.driver ?? 'the driver';
  for (const key of SETTING_NAMES) {
    if (asked[key] === undefined) continue;
    const setting = `${describeSetting(key)} ${formatSetting(key, asked)}`;
    if (profile && !profile.sets.includes(key)) {
      out.push({ setting, why: `${name} has no way to set a VF's ${describeSetting(key)}` });
    } else if (!profile && vf && OPTIONAL_FIELDS.includes(key as OptionalField) && vf[key as OptionalField] === null) {
      out.push({ setting, why: `the driver doesn't report the VF's ${describeSetting(key)}, so it can't set it` });
    } else if (key === 'linkState' && profile?.linkStates && !profile.linkStates.includes(asked.linkState!)) {
      out.push({ setting, why: `${name} takes link state ${profile.linkStates.join(' or ')} only` });
    }
  }
  if (asked.vlan?.qos !== undefined && asked.vlan.qos !== 0 && profile && profile.sets.includes('vlan') && !profile.sets.includes('vlanQos')) {
    out.push({ setting: `VLAN QoS ${asked.vlan.qos}`, why: `${name} sets a VF's VLAN without a priority` });
  }
  return out;
}

/** `link state enable (igb has no way to set a VF's link state); ...` for a refusal. */
export function describeUnsupported(missing: readonly Unsupported[]): string {
  return missing.map((m) => `${m.setting} (${m.why})`).join('; ');
}
