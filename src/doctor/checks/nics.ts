/**
 * The NICs: which offer VFs and how many, whether each PF is up, and the driver quirks the
 * config must know about.
 */
import { DEFAULT_CONFIG_PATH } from '../../config/config.js';
import { profileOf, type DriverProfile, type QuirkId } from '../../drivers/driver-profiles.js';
import { unsupportedSettings } from '../../drivers/vf-support.js';
import { describeSetting, LINK_STATES, SETTING_NAMES } from '../../model/vf-settings.js';
import { networkSettings } from '../../plan/guest-vf.js';
import type { Check, DoctorFacts, NicFacts } from '../facts.js';
import { fail, list, ok, plural, warn } from './check.js';

/** The seed's two switches, then how to see that they took. */
export const ENABLE_SRIOV_FIX = 'enable SR-IOV in the BIOS (e.g. Integrated Devices > SR-IOV Global Enable) and in the NIC\'s own settings '
  + '(Device Settings > NIC > Virtualization Mode > SR-IOV), then reboot; `lspci -v` then lists "Single Root I/O Virtualization"';

export const pfsOf = (f: DoctorFacts): NicFacts[] => f.nics.filter((n) => n.sriov);

const describeNic = (n: NicFacts) => `${n.name} (${[n.driver ?? 'no driver', n.pci].filter(Boolean).join(', ')})`;
const configName = (f: DoctorFacts) => f.config.path ?? DEFAULT_CONFIG_PATH;

export function checkSriovNics(f: DoctorFacts): Check {
  const id = 'sriov-nics';
  const pfs = pfsOf(f);
  if (pfs.length) return ok(id, `${plural(pfs.length, 'SR-IOV NIC')}: ${list(pfs.map((p) => `${p.name} (${p.driver ?? 'no driver'}, up to ${p.totalVfs} VFs)`))}`);
  const seen = f.nics.length ? `; ${list(f.nics.map(describeNic))} ${f.nics.length === 1 ? 'has' : 'have'} no SR-IOV capability` : '';
  const summary = `no SR-IOV NIC: no network interface offers VFs${seen}`;
  const iov = f.kernelConfig?.options.CONFIG_PCI_IOV;
  if (f.kernelConfig && iov !== 'y') return fail(id, summary, 'use a kernel built with CONFIG_PCI_IOV=y: without it no NIC shows SR-IOV');
  if (!f.nics.some((n) => n.pci)) return fail(id, summary, 'this host has no PCI NIC: SR-IOV needs a NIC that supports it (Intel 82576/X520/X710, Broadcom BCM57810, Mellanox ConnectX, ...)');
  return fail(id, summary, `check that the NIC supports SR-IOV, and ${ENABLE_SRIOV_FIX}`);
}

/** Each PF's VF limit, and each PF the config names. */
export function checkPfCapabilities(f: DoctorFacts): Check[] {
  const checks: Check[] = [];
  const pfs = pfsOf(f);
  for (const pf of pfs) {
    const id = `sriov-nic:${pf.name}`;
    const wanted = f.config.pfs[pf.name]?.numVfs;
    if (pf.totalVfs === 0) {
      checks.push(fail(id, `${describeNic(pf)} has SR-IOV but offers 0 VFs`, ENABLE_SRIOV_FIX));
    } else if (wanted !== undefined && wanted > pf.totalVfs) {
      checks.push(fail(id, `${describeNic(pf)} offers at most ${pf.totalVfs} VFs, but the config asks for ${wanted}`,
        `set pfs.${pf.name}.numVfs to ${pf.totalVfs} or less in ${configName(f)}`));
    } else if (pf.driver === null) {
      checks.push(warn(id, `${describeNic(pf)} has no driver bound: its VFs can't be created`, `load the NIC's driver (modprobe DRIVER; lspci -k -s ${pf.pci ?? 'ADDR'} names it)`));
    } else if (pf.numVfs > (wanted ?? 0)) {
      // VFs made by hand (the seed's echo N > sriov_numvfs) are gone after a reboot
      const recorded = wanted === undefined ? 'none are recorded' : `only ${wanted} are recorded`;
      checks.push(warn(id, `${describeNic(pf)} has ${pf.numVfs} VFs, but ${recorded} in ${configName(f)}: after a reboot ${pf.name} has ${wanted ?? 0}`,
        `virt-sriov vfs ${pf.name} --count ${pf.numVfs} (records the live count; the daemon hook makes them at boot)`));
    } else {
      const config = wanted === undefined ? '' : `; the config asks for ${wanted}`;
      checks.push(ok(id, `${describeNic(pf)}: up to ${pf.totalVfs} VFs, ${pf.numVfs} created${config}`));
    }
  }
  for (const name of Object.keys(f.config.pfs).sort()) {
    if (pfs.some((p) => p.name === name)) continue;
    const nic = f.nics.find((n) => n.name === name);
    checks.push(fail(`sriov-nic:${name}`,
      nic ? `the config names ${describeNic(nic)} as a PF, but it has no SR-IOV capability` : `the config names ${name} as a PF, but there is no such interface`,
      nic ? `${ENABLE_SRIOV_FIX}; or remove pfs.${name} from ${configName(f)}` : `fix the name in pfs of ${configName(f)} (\`ip link\` lists the interfaces)`));
  }
  return checks;
}

/** libvirt can set a VF's MAC only while its PF is up. */
export function checkPfsUp(f: DoctorFacts): Check[] {
  return pfsOf(f).map((pf) => {
    const id = `pf-up:${pf.name}`;
    if (!pf.link) return warn(id, `did not read ${pf.name}'s link state`, `check it with ip link show dev ${pf.name}`);
    if ('error' in pf.link) return warn(id, `could not read ${pf.name}'s link state: ${pf.link.error}`, `check it with ip link show dev ${pf.name}`);
    if (pf.link.up) return ok(id, `${pf.name} is up`);
    if (f.config.pfs[pf.name]?.bringUp) return ok(id, `${pf.name} is down; the hooks bring it up (pfs.${pf.name}.bringUp)`);
    return warn(id, `${pf.name} is down: libvirt sets a VF's MAC only on a PF that is up, and the hooks bring it up only with pfs.${pf.name}.bringUp`,
      `ip link set dev ${pf.name} up, and bring it up at boot (e.g. auto ${pf.name} / iface ${pf.name} inet manual in /etc/network/interfaces)`);
  });
}

/** The hostdev networks of the config whose VF defaults this driver can't give, with what it can't. */
function networksBeyond(f: DoctorFacts, profile: DriverProfile): { name: string; settings: string }[] {
  return Object.entries(f.config.networks)
    .map(([name, d]) => ({ name, settings: unsupportedSettings(networkSettings(d), null, profile).map((m) => m.setting).join(', ') }))
    .filter((n) => n.settings)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What a driver can't set, in the admin's words: "link state, min tx rate". */
function lacks(profile: DriverProfile): string[] {
  const named = SETTING_NAMES.filter((k) => !profile.sets.includes(k)).map(describeSetting);
  const states = profile.linkStates ? [`link state ${LINK_STATES.filter((s) => !profile.linkStates!.includes(s)).join(', ')}`] : [];
  return [...named, ...states, ...(profile.sets.includes('vlanQos') ? [] : ['VLAN QoS'])];
}

/** What each quirk means for guests, and what to do about it. */
const QUIRK_ADVICE: Record<QuirkId, (p: DriverProfile) => string> = {
  'recreate-vfs-after-mac': () => 'VF MACs take effect once the VFs are re-created (the daemon hook does it at boot, while no guest holds a VF)',
  'untrusted-filter-limits': (p) => `an untrusted VF gets at most ${p.untrustedLimits?.macs} MACs and ${p.untrustedLimits?.vlans} VLANs: a guest that tags more VLANs itself or adds MACs (bonds, bridges, macvlan) loses traffic; give such a guest trust='on'`,
  'spoofchk-needs-mac': () => 'spoof checking on a VF without a MAC drops what the guest sends: give plain <hostdev> guests a MAC in their virt-sriov metadata',
  'switchdev-refuses-vf-settings': () => 'VF settings need the eswitch in legacy mode (`devlink dev eswitch show pci/ADDR`)',
  'mac-settles-late': () => 'a new VF MAC may show only after the VF resets (virt-sriov reads it back and retries)',
};

/**
 * Each PF whose driver the table knows (src/drivers/driver-profiles.ts): what of the config it
 * can't give, the quirks the config must name, and what its quirks mean for guests.
 */
export function checkDriverQuirks(f: DoctorFacts): Check[] {
  return pfsOf(f).flatMap((pf) => {
    const profile = profileOf(pf.driver);
    if (!profile) return [];
    const id = `driver-quirk:${pf.name}`;
    const who = `${pf.name} (${profile.driver})`;
    const beyond = networksBeyond(f, profile);
    if (beyond.length) {
      const one = beyond.length === 1;
      return [warn(id, `${who} can't give what the config sets for network ${list(beyond.map((n) => `${n.name} (${n.settings})`))}`,
        `remove ${list(beyond.map((n) => `${n.settings} from networks.${n.name}`))} in ${configName(f)} if ${one ? 'that network takes' : 'those networks take'} VFs of ${pf.name} (docs/drivers.md)`)];
    }
    // the daemon hook re-creates the VFs of configured PFs only: it needs their count
    if (profile.quirks.includes('recreate-vfs-after-mac') && !f.config.pfs[pf.name]) {
      const numVfs = pf.numVfs || Math.min(8, pf.totalVfs);
      return [warn(id, `${who} takes a new VF MAC only once its VFs are re-created, which the daemon hook does for PFs in the config, and ${pf.name} is not there`,
        `in ${configName(f)} set pfs.${pf.name} to {"numVfs": ${numVfs}}`)];
    }
    const cant = lacks(profile);
    const notes = profile.quirks.map((q) => QUIRK_ADVICE[q](profile));
    const can = cant.length ? `${who} can't set a VF's ${cant.join(', ')}; no network in the config asks for it` : `${who} can set every VF setting`;
    return [ok(id, [can, ...notes].join('; '))];
  });
}
