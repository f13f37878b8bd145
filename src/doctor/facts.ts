/**
 * What `virt-sriov doctor` knows about a host, as plain data: gather.ts reads it, the checks
 * (checks/*.ts) judge it. Nothing here touches the host, so a test can write facts by hand.
 */
import type { Config } from '../config/config.js';
import type { Version } from '../versions/version.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of the report. `fix` is one line an admin can act on; null when there is nothing to do. */
export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly summary: string;
  readonly fix: string | null;
}

export interface ConfigFacts {
  /** The file read, or null when the defaults apply (no file at the default path). */
  readonly path: string | null;
  /** Why the config could not be used (the defaults were used instead), or null. */
  readonly error: { readonly message: string; readonly fix: string | null } | null;
  readonly pfs: Config['pfs'];
  readonly networks: Config['networks'];
}

export interface KernelConfig {
  /** Where it was read: /boot/config-RELEASE or /proc/config.gz. */
  readonly source: string;
  /** CONFIG_X -> 'y', 'm', 'n' (for "is not set"), or the raw value of a string/number option. */
  readonly options: Readonly<Record<string, string>>;
}

export interface VfioPciFacts {
  /** /sys/bus/pci/drivers/vfio-pci: the driver is registered (loaded or built in). */
  readonly driverRegistered: boolean;
  /** /sys/module/vfio_pci. */
  readonly moduleLoaded: boolean;
  /** Listed in /lib/modules/RELEASE/modules.builtin. */
  readonly builtin: boolean;
  /** Listed in /lib/modules/RELEASE/modules.dep: modprobe can load it. */
  readonly loadable: boolean;
  /** Whether /lib/modules/RELEASE exists at all. */
  readonly modulesDirFound: boolean;
}

/** A network interface backed by a device (not lo, bridges, or a VF). */
export interface NicFacts {
  readonly name: string;
  /** PCI address; null for a device on another bus (virtio, USB). */
  readonly pci: string | null;
  readonly driver: string | null;
  /** The device has the SR-IOV capability (sysfs shows sriov_totalvfs). */
  readonly sriov: boolean;
  readonly totalVfs: number;
  readonly numVfs: number;
  /** PFs only: from `ip -j link show dev NAME`. */
  readonly link: { readonly up: boolean } | { readonly error: string } | null;
}

export type LibvirtFacts =
  | {
      readonly connected: true;
      readonly uri: string;
      /** Whether the URI names this machine (so the local checks are about the same host). */
      readonly local: boolean;
      readonly libvirt: Version;
      /** null when the driver does not report it. */
      readonly qemu: Version | null;
      /** `virsh domcapabilities` XML, or why it could not be read. */
      readonly domainCapabilities: { readonly xml: string } | { readonly error: string };
    }
  | {
      readonly connected: false;
      readonly uri: string;
      readonly local: boolean;
      readonly error: string;
      /** A fix other than starting the daemon (a missing libvirt0), or null. */
      readonly fix: string | null;
    };

/** Versions from the binaries (`libvirtd --version`, `qemu-system-x86_64 --version`). */
export type BinaryVersions =
  | { readonly libvirt: Version; readonly qemu: Version }
  | { readonly error: string };

export type HookDriver = 'qemu' | 'network' | 'daemon';
export const HOOK_DRIVERS: readonly HookDriver[] = ['qemu', 'network', 'daemon'];

export interface HookFile {
  readonly driver: HookDriver;
  readonly path: string;
  /** hooks/qemu.d/virt-sriov (libvirt >= 6.5) or hooks/qemu itself. */
  readonly layout: 'dir' | 'main';
  readonly mtimeMs: number;
  readonly executable: boolean;
}

export interface HookFacts {
  readonly dir: string;
  /** Ours only: a .d entry named virt-sriov, or a main hook holding the marker. */
  readonly installed: readonly HookFile[];
  /** Main hook files that exist but are not ours (someone else's hook). */
  readonly foreign: readonly string[];
}

export type DaemonName = 'libvirtd' | 'virtqemud' | 'virtnetworkd';
export const DAEMON_NAMES: readonly DaemonName[] = ['libvirtd', 'virtqemud', 'virtnetworkd'];

export interface DaemonProcess {
  readonly name: DaemonName;
  readonly pid: number;
  readonly startedAtMs: number;
}

/** Whether `virt-sriov watch` runs (src/watch/running.ts), and what would run it. */
export interface WatcherFacts {
  /** Its lock in the state dir is held (the kernel's /proc/locks): it runs. */
  readonly running: boolean;
  /** The lock file looked at. */
  readonly lockFile: string;
  /** The pid its pid file names; null when there is none. */
  readonly pid: number | null;
  /** systemd runs this host (/run/systemd/system). */
  readonly systemd: boolean;
  /** Where virt-sriov-watch.service is installed; null when nowhere systemd looks. */
  readonly unit: string | null;
}

/** One of a guest's <hostdev> or <interface type='hostdev'> devices, and what sysfs says its PCI address is. */
export interface GuestPciDevice {
  readonly pci: string;
  readonly style: 'hostdev' | 'interface';
  /** vf: a VF of this host; absent: no such device now (VFs don't survive a reboot: the hooks make them at start); other: a PF, a GPU. */
  readonly device: 'vf' | 'absent' | 'other';
}

/** A defined domain with PCI devices assigned by address (hostdev or interface style). */
export interface GuestFacts {
  readonly name: string;
  readonly running: boolean;
  readonly devices: readonly GuestPciDevice[];
}

export interface DoctorFacts {
  readonly config: ConfigFacts;
  readonly cpuVendor: 'intel' | 'amd' | null;
  readonly cmdline: string | null;
  /** Entries in /sys/kernel/iommu_groups. */
  readonly iommuGroups: number;
  /** uname -r. */
  readonly kernelRelease: string | null;
  readonly kernelConfig: KernelConfig | null;
  readonly vfioPci: VfioPciFacts;
  readonly nics: readonly NicFacts[];
  readonly libvirt: LibvirtFacts;
  /** Read only when the connection could not give both versions; null when not read. */
  readonly binaryVersions: BinaryVersions | null;
  readonly hooks: HookFacts;
  readonly daemons: readonly DaemonProcess[];
  readonly watcher: WatcherFacts;
  /**
   * The defined domains that assign PCI devices by address, from the persistent and the live
   * XML; `error` when libvirt could not list them, `remote` when the URI names another host.
   */
  readonly guests: readonly GuestFacts[] | { readonly error: string } | 'remote';
}
