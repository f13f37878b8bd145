/**
 * The IOMMU (Intel VT-d, AMD-Vi): a guest gets DMA to its VF only through it. The kernel shows
 * it working by populating /sys/kernel/iommu_groups; the command line says why it might not.
 */
import type { Check, DoctorFacts } from '../facts.js';
import { fail, ok, warn } from './check.js';

const GRUB = 'GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot';

/** The kernel's own parameters: what comes before a lone `--` goes to init, not the kernel. */
export function kernelParams(cmdline: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const word of cmdline.trim().split(/\s+/)) {
    if (word === '--') break;
    const eq = word.indexOf('=');
    params.set(eq < 0 ? word : word.slice(0, eq), eq < 0 ? '' : word.slice(eq + 1));
  }
  return params;
}

const vendorName = (v: DoctorFacts['cpuVendor']) => (v === 'intel' ? 'VT-d' : v === 'amd' ? 'AMD-Vi' : 'VT-d / AMD-Vi');

export function checkIommuGroups(f: DoctorFacts): Check {
  const id = 'iommu-groups';
  if (f.iommuGroups > 0) return ok(id, `IOMMU on (${vendorName(f.cpuVendor)}): ${f.iommuGroups} IOMMU groups`);
  const summary = `IOMMU off: no IOMMU groups in /sys/kernel/iommu_groups, so no device can be given to a guest`;
  // a kernel without the IOMMU driver can't be fixed in the BIOS
  const driverOption = f.cpuVendor === 'intel' ? 'CONFIG_INTEL_IOMMU' : f.cpuVendor === 'amd' ? 'CONFIG_AMD_IOMMU' : null;
  const built = driverOption && f.kernelConfig ? f.kernelConfig.options[driverOption] : undefined;
  if (driverOption && f.kernelConfig && built !== 'y') {
    return fail(id, summary, `use a kernel built with ${driverOption}=y (this one has it ${built === undefined || built === 'n' ? 'off' : `=${built}`}); Debian's linux-image-amd64 has it`);
  }
  switch (f.cpuVendor) {
    case 'intel':
      return fail(id, summary, `enable VT-d in the BIOS and boot with intel_iommu=on (${GRUB})`);
    case 'amd':
      return fail(id, summary, 'enable AMD-Vi (IOMMU) in the BIOS, then reboot: the kernel turns it on by default');
    default:
      return fail(id, summary, `enable the IOMMU (VT-d or AMD-Vi) in the BIOS; on Intel also boot with intel_iommu=on (${GRUB})`);
  }
}

export function checkIommuCmdline(f: DoctorFacts): Check {
  const id = 'iommu-cmdline';
  if (f.cmdline === null) return warn(id, 'could not read the kernel command line (/proc/cmdline)', 'run doctor on the host itself, as root');
  const params = kernelParams(f.cmdline);
  const off = [
    ['intel_iommu', params.get('intel_iommu')],
    ['amd_iommu', params.get('amd_iommu')],
    ['iommu', params.get('iommu')],
  ].filter(([, v]) => v !== undefined && v.split(',').includes('off')).map(([k]) => `${k}=off`);
  if (off.length) {
    return fail(id, `the kernel command line turns the IOMMU off (${off.join(' ')})`, `remove ${off.join(' ')} from ${GRUB}`);
  }
  const given = [...params].filter(([k]) => k === 'intel_iommu' || k === 'amd_iommu' || k === 'iommu').map(([k, v]) => `${k}=${v}`);
  const intelOn = params.get('intel_iommu')?.split(',').includes('on') ?? false;
  if (f.cpuVendor === 'intel' && !intelOn && f.iommuGroups === 0) {
    return warn(id, 'intel_iommu=on is not on the kernel command line, and this kernel leaves VT-d off without it',
      `add intel_iommu=on (and iommu=pt) to ${GRUB}`);
  }
  const pt = params.get('iommu') === 'pt'
    ? ''
    : '; iommu=pt not set (optional: it spares the host\'s own devices the IOMMU\'s translation cost)';
  const head = given.length ? given.join(' ') : f.cpuVendor === 'intel' ? 'no intel_iommu=, but VT-d is on by default in this kernel'
    : 'no IOMMU options (AMD-Vi and most kernels need none)';
  return ok(id, head + pt);
}
