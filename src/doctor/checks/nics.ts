/**
 * The NICs: which offer VFs and how many, whether each PF is up, and the driver quirks the
 * config must know about.
 */
import { DEFAULT_CONFIG_PATH } from '../../config/config.js';
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
    return warn(id, `${pf.name} is down: libvirt sets a VF's MAC only on a PF that is up (the hooks bring it up before a guest starts)`,
      `ip link set dev ${pf.name} up, and bring it up at boot (e.g. auto ${pf.name} / iface ${pf.name} inet manual in /etc/network/interfaces)`);
  });
}

interface Quirk {
  readonly driver: string;
  judge(f: DoctorFacts, pf: NicFacts): Check;
}

/** Hostdev networks in the config whose VF defaults set this link state (any, when `state` is omitted). */
function networksSettingLinkState(f: DoctorFacts, state?: string): string[] {
  return Object.entries(f.config.networks)
    .filter(([, d]) => d.linkState !== undefined && (state === undefined || d.linkState === state))
    .map(([name]) => name)
    .sort();
}

/** Known driver quirks, from the seed (bnx2x) and libvirt-facts.md. */
export const QUIRKS: readonly Quirk[] = [
  {
    driver: 'bnx2x',
    judge(f, pf) {
      const id = `driver-quirk:${pf.name}`;
      const entry = f.config.pfs[pf.name];
      if (entry?.quirks?.includes('recreate-vfs-after-mac')) return ok(id, `${pf.name} (bnx2x): VFs are re-created after MAC changes (quirk recreate-vfs-after-mac)`);
      const numVfs = entry?.numVfs ?? (pf.numVfs || Math.min(8, pf.totalVfs));
      return warn(id, `${pf.name} (bnx2x) takes a new VF MAC only once its VFs are re-created, and the config has no quirk for it`,
        `in ${configName(f)} set pfs.${pf.name} to {"numVfs": ${numVfs}, "quirks": ["recreate-vfs-after-mac"]}`);
    },
  },
  {
    driver: 'ixgbe',
    judge(f, pf) {
      const id = `driver-quirk:${pf.name}`;
      const nets = networksSettingLinkState(f, 'enable');
      if (!nets.length) return ok(id, `${pf.name} (ixgbe) refuses VF link state "enable"; no network in the config asks for it`);
      return warn(id, `${pf.name} (ixgbe) refuses VF link state "enable", which the config sets for network ${list(nets)}`,
        `use linkState "auto" or "disable" for ${list(nets)} in ${configName(f)} if they take VFs of ${pf.name}`);
    },
  },
  {
    driver: 'igb',
    judge(f, pf) {
      const id = `driver-quirk:${pf.name}`;
      const nets = networksSettingLinkState(f);
      if (!nets.length) return ok(id, `${pf.name} (igb) has no VF link-state control; no network in the config sets one`);
      return warn(id, `${pf.name} (igb) has no VF link-state control, but the config sets linkState for network ${list(nets)}`,
        `remove linkState from ${list(nets)} in ${configName(f)} if they take VFs of ${pf.name}`);
    },
  },
];

export function checkDriverQuirks(f: DoctorFacts): Check[] {
  const checks: Check[] = [];
  for (const pf of pfsOf(f)) {
    const quirk = QUIRKS.find((q) => q.driver === pf.driver);
    if (quirk) checks.push(quirk.judge(f, pf));
  }
  return checks;
}
