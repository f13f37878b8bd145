/** The facts of a healthy host, written by hand, for testing the checks without any files. */
import type { DoctorFacts, HookFile, NicFacts } from '../../../src/doctor/facts.js';
import { parseKernelConfig } from '../../../src/doctor/checks/kernel.js';
import { version } from '../../../src/versions/version.js';
import { readFixture } from '../../support/fake-host.js';

export const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);

export const igbPf = (patch: Partial<NicFacts> = {}): NicFacts => ({
  name: 'eth0', pci: '0000:01:00.0', driver: 'igb', sriov: true, totalVfs: 7, numVfs: 2, link: { up: true }, ...patch,
});

export const hook = (driver: HookFile['driver'], patch: Partial<HookFile> = {}): HookFile => ({
  driver, path: `/etc/libvirt/hooks/${driver}.d/virt-sriov`, layout: 'dir', mtimeMs: T0 - 3_600_000, executable: true, ...patch,
});

export function healthyFacts(patch: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    config: { path: '/etc/virt-sriov/config.json', error: null, pfs: { eth0: { numVfs: 2 } }, networks: {} },
    cpuVendor: 'intel',
    cmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=/dev/sda1 ro quiet intel_iommu=on iommu=pt',
    iommuGroups: 30,
    kernelRelease: '6.1.0-56-amd64',
    kernelConfig: parseKernelConfig(readFixture('doctor', 'config-6.1.0-56-amd64'), '/boot/config-6.1.0-56-amd64'),
    vfioPci: { driverRegistered: true, moduleLoaded: true, builtin: false, loadable: true, modulesDirFound: true },
    nics: [igbPf()],
    libvirt: {
      connected: true, uri: 'qemu:///system', local: true, libvirt: version('9.0.0'), qemu: version('7.2.0'),
      domainCapabilities: { xml: readFixture('doctor', 'domcaps-qemu7.2-vfio.xml') },
    },
    binaryVersions: null,
    hooks: { dir: '/etc/libvirt/hooks', installed: [hook('qemu'), hook('network'), hook('daemon')], foreign: [] },
    daemons: [{ name: 'libvirtd', pid: 812, startedAtMs: T0 - 600_000 }],
    watcher: { running: true, lockFile: '/run/virt-sriov/.watch.lock', pid: 4242, systemd: true, unit: '/usr/lib/systemd/system/virt-sriov-watch.service' },
    guests: [{ name: 'fw1', running: true, devices: [{ pci: '0000:01:10.0', style: 'hostdev', device: 'vf' }] }],
    ...patch,
  };
}

/** The same kernel config with these options changed ('n' for "is not set"). */
export function kernelConfigWith(options: Record<string, string>): DoctorFacts['kernelConfig'] {
  const base = healthyFacts().kernelConfig!;
  return { source: base.source, options: { ...base.options, ...options } };
}
