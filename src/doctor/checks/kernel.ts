/**
 * The kernel: new enough for the sysfs VF interface, and built with what SR-IOV and VFIO need
 * (the seed's list: CONFIG_PCI_IOV, CONFIG_VFIO, CONFIG_VFIO_PCI, CONFIG_VFIO_IOMMU_TYPE1,
 * CONFIG_PCI_STUB, and the NIC driver's own SR-IOV switch such as CONFIG_BNX2X_SRIOV).
 */
import { atLeast, version, type Version } from '../../versions/version.js';
import type { Check, DoctorFacts, KernelConfig } from '../facts.js';
import { fail, list, ok, warn } from './check.js';
import { libvirtVersion } from './libvirt.js';

/** sriov_totalvfs / sriov_numvfs came in 3.8. */
export const SYSFS_SRIOV_SINCE = version('3.8.0');
/** The seed: 3.13 fixed VLAN configuration for VFs, among other SR-IOV bugs. */
export const SRIOV_FIXES_SINCE = version('3.13.0');
/** libvirt 5.7.0 removed legacy KVM device assignment, the only user of pci-stub. */
const LEGACY_ASSIGNMENT_REMOVED = version('5.7.0');

/**
 * NIC drivers that can only offer VFs when built with an option of their own. Drivers not
 * listed (igb, ixgbe, i40e, ice, ...) need nothing beyond CONFIG_PCI_IOV.
 */
export const DRIVER_SRIOV_OPTIONS: Readonly<Record<string, string>> = {
  bnx2x: 'CONFIG_BNX2X_SRIOV',
  bnxt_en: 'CONFIG_BNXT_SRIOV',
  qede: 'CONFIG_QED_SRIOV',
  qlcnic: 'CONFIG_QLCNIC_SRIOV',
  sfc: 'CONFIG_SFC_SRIOV',
  // mlx5's SR-IOV e-switch: without it the VFs get no MAC/VLAN steering
  mlx5_core: 'CONFIG_MLX5_ESWITCH',
};

const build = (setting: string) => `use a kernel built with ${setting} (Debian's linux-image-amd64 has it)`;

/** `uname -r` as a version: 6.1.0-56-amd64 -> 6.1.0. */
export function kernelVersion(release: string): Version | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  return m ? { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3] ?? 0) } : null;
}

export function checkKernelVersion(f: DoctorFacts): Check {
  const id = 'kernel-version';
  const v = f.kernelRelease === null ? null : kernelVersion(f.kernelRelease);
  if (!v) return warn(id, `could not tell the kernel version (uname -r: ${f.kernelRelease ?? 'unreadable'})`, 'check `uname -r`: SR-IOV needs 3.8 or later');
  if (!atLeast(v, SYSFS_SRIOV_SINCE)) {
    return fail(id, `kernel ${f.kernelRelease} is older than 3.8: it has no sriov_numvfs in sysfs to create VFs`, 'boot a kernel >= 3.8 (3.13 or later: it fixed VF VLAN configuration)');
  }
  if (!atLeast(v, SRIOV_FIXES_SINCE)) {
    return warn(id, `kernel ${f.kernelRelease} has the sysfs VF interface, but SR-IOV bugs (VF VLANs) fixed only in 3.13`, 'boot a kernel >= 3.13');
  }
  return ok(id, `kernel ${f.kernelRelease} (>= 3.8: VFs are created through sysfs sriov_numvfs)`);
}

/** Parse a kernel .config: CONFIG_X=y|m|value and `# CONFIG_X is not set`. */
export function parseKernelConfig(text: string, source: string): KernelConfig {
  const options: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) options[set[1]!] = set[2]!.replace(/^"(.*)"$/, '$1');
    const unset = /^# (CONFIG_\w+) is not set/.exec(line);
    if (unset) options[unset[1]!] = 'n';
  }
  return { source, options };
}

interface Requirement {
  readonly option: string;
  /** What it is for, in an admin's words. */
  readonly why: string;
  /** Can be a module (=m); bool options take only =y. */
  readonly tristate?: boolean;
  /** Another option that does the same job: then a missing one is fine. */
  readonly alternative?: { readonly option: string; readonly why: string };
}

function requirements(f: DoctorFacts): Requirement[] {
  const reqs: Requirement[] = [
    { option: 'CONFIG_PCI_IOV', why: 'SR-IOV (without it no NIC offers VFs)' },
    { option: 'CONFIG_VFIO', why: 'VFIO, through which QEMU drives a VF', tristate: true },
    { option: 'CONFIG_VFIO_PCI', why: 'vfio-pci, the driver libvirt binds a VF to for a guest', tristate: true },
    { option: 'CONFIG_VFIO_IOMMU_TYPE1', why: "VFIO's IOMMU backend on x86", tristate: true,
      // kernels >= 6.2 may serve VFIO's type1 container from iommufd instead
      alternative: { option: 'CONFIG_IOMMUFD_VFIO_CONTAINER', why: "iommufd's VFIO container stands in for it" } },
    // pci-stub served legacy KVM assignment; with vfio-pci (libvirt's default since 1.1.3) it is a spare
    { option: 'CONFIG_PCI_STUB', why: 'pci-stub, for legacy KVM device assignment', tristate: true },
  ];
  const drivers = [...new Set(f.nics.map((n) => n.driver).filter((d): d is string => !!d && d in DRIVER_SRIOV_OPTIONS))].sort();
  for (const driver of drivers) {
    const nics = f.nics.filter((n) => n.driver === driver).map((n) => n.name);
    reqs.push({ option: DRIVER_SRIOV_OPTIONS[driver]!, why: `${driver}'s own SR-IOV support (${list(nics)})` });
  }
  return reqs;
}

export function checkKernelConfig(f: DoctorFacts): Check[] {
  const reqs = requirements(f);
  if (!f.kernelConfig) {
    return [warn('kernel-config', `could not read the kernel config (/boot/config-${f.kernelRelease ?? 'RELEASE'} or /proc/config.gz), so ${list(reqs.map((r) => r.option))} are unchecked`,
      `install the config of the running kernel in /boot (Debian ships it in linux-image-${f.kernelRelease ?? '$(uname -r)'}), or load the configs module for /proc/config.gz`)];
  }
  const { options, source } = f.kernelConfig;
  const libvirt = libvirtVersion(f);
  return reqs.map((r) => {
    const id = `kernel-config:${r.option}`;
    const value = options[r.option];
    if (value === 'y') return ok(id, `${r.option}=y: ${r.why}`);
    if (value === 'm') return ok(id, `${r.option}=m: ${r.why} (a module, loaded on demand)`);
    const alt = r.alternative && options[r.alternative.option];
    if (r.alternative && (alt === 'y' || alt === 'm')) return ok(id, `${r.option} not set, but ${r.alternative.option}=${alt}: ${r.alternative.why}`);
    const state = value === undefined || value === 'n' ? 'not set' : `=${value}`;
    if (r.option === 'CONFIG_PCI_STUB') {
      if (libvirt && atLeast(libvirt, LEGACY_ASSIGNMENT_REMOVED)) {
        return ok(id, `${r.option} ${state}: not needed, libvirt ${libvirt.major}.${libvirt.minor} assigns VFs through vfio-pci only`);
      }
      return warn(id, `${r.option} ${state} in ${source}: no pci-stub, which legacy KVM assignment (libvirt < 5.7, without vfio) needs`,
        `nothing to do if guests use vfio (libvirt's default since 1.1.3); for legacy assignment ${build(`${r.option}=m`)}`);
    }
    return fail(id, `${r.option} ${state} in ${source}: needed for ${r.why}`, build(r.tristate ? `${r.option}=y or =m` : `${r.option}=y`));
  });
}
