/**
 * A fake host for doctor, in a temp dir: the fake SR-IOV sysfs and `ip` of test/support/fake-host
 * plus a /proc, /boot, /lib/modules and /etc/libvirt/hooks laid out as on Debian 12, and a fake
 * libvirt and version detection. `healthy()` passes every check; each test breaks one thing.
 */
import { chmodSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { symlinkSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { DoctorHost, LibvirtProbe } from '../../../src/doctor/host.js';
import { ProbeError } from '../../../src/doctor/host.js';
import type { ConfigFacts, DaemonName, HookDriver } from '../../../src/doctor/facts.js';
import type { HostVersions } from '../../../src/versions/detect.js';
import { version } from '../../../src/versions/version.js';
import { FakeHost, igbVfAddress, readFixture, type FakePfSpec } from '../../support/fake-host.js';

/** The fake clock: 2025-03-01 12:00 UTC, one day after boot. */
export const NOW = Date.UTC(2025, 2, 1, 12, 0, 0);
const UPTIME_S = 86_400;

export interface FakeDoctorSpec {
  pfs: FakePfSpec[];
  /** Interfaces without SR-IOV: a virtio NIC when pci is omitted. */
  plainNics: { name: string; driver: string; pci?: string }[];
  cpuVendor: string | null;
  cmdline: string | null;
  iommuGroups: number;
  release: string;
  /** The kernel .config text, and where it is; null for none anywhere. */
  kernelConfig: string | null;
  kernelConfigAt: 'boot' | 'proc';
  vfioPci: 'loaded' | 'module' | 'builtin' | 'absent';
  libvirt: Omit<LibvirtProbe, 'domains'> | ProbeError;
  versions: HostVersions | Error;
  hooks: { layout: 'dir' | 'main'; drivers: HookDriver[]; mode: number; installedAgoMs: number } | null;
  /** Main hook files of someone else's (no marker). */
  foreignHooks: HookDriver[];
  daemons: { name: DaemonName; pid: number; startedAgoMs: number }[];
  config: ConfigFacts;
  /** The defined domains libvirt lists (the probe's), each with its persistent XML and, running, its live one. */
  domains: { name: string; running: boolean; xml: string[] }[] | { error: string };
  /**
   * running: holds its lock (in /proc/locks) with its pid file; unlisted: its pid file's process runs `virt-sriov watch` but
   * the kernel lists no lock (a pid namespace that can't name the lock's taker); ended: a pid file, no lock; none: neither.
   */
  watcher: 'running' | 'unlisted' | 'ended' | 'none';
  /** /run/systemd/system exists. */
  systemd: boolean;
  /** virt-sriov-watch.service is in /usr/lib/systemd/system. */
  unit: boolean;
}

/** A domain XML with one <hostdev> (a PCI device by address). */
export function hostdevDomain(name: string, pci: string): string {
  const [domain, bus, rest] = pci.split(':') as [string, string, string];
  const [slot, fn] = rest.split('.') as [string, string];
  return `<domain type='kvm'><name>${name}</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><source>`
    + `<address domain='0x${domain}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/></source></hostdev></devices></domain>`;
}

/** A domain XML with a network-style NIC only (no PCI device named). */
export function networkDomain(name: string): string {
  return `<domain type='kvm'><name>${name}</name><devices><interface type='network'><source network='sriov'/></interface></devices></domain>`;
}

export const DEBIAN_KERNEL_CONFIG = readFixture('doctor', 'config-6.1.0-56-amd64');

export function healthy(): FakeDoctorSpec {
  return {
    pfs: [
      { name: 'eth0', pci: '0000:01:00.0', driver: 'igb', totalVfs: 7, numVfs: 2 },
      { name: 'eth1', pci: '0000:02:00.0', driver: 'bnx2x', vfDriver: 'bnx2x', totalVfs: 64, numVfs: 2 },
    ],
    plainNics: [],
    cpuVendor: 'GenuineIntel',
    cmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=/dev/sda1 ro quiet intel_iommu=on iommu=pt',
    iommuGroups: 12,
    release: '6.1.0-56-amd64',
    kernelConfig: DEBIAN_KERNEL_CONFIG,
    kernelConfigAt: 'boot',
    vfioPci: 'loaded',
    libvirt: {
      uri: 'qemu:///system', libvirt: version('9.0.0'), qemu: version('7.2.0'),
      domainCapabilities: { xml: readFixture('doctor', 'domcaps-qemu7.2-vfio.xml') },
    },
    versions: { libvirt: version('9.0.0'), qemu: version('7.2.0') },
    hooks: { layout: 'dir', drivers: ['qemu', 'network', 'daemon'], mode: 0o755, installedAgoMs: 3_600_000 },
    foreignHooks: [],
    daemons: [{ name: 'libvirtd', pid: 812, startedAgoMs: 600_000 }],
    domains: [{ name: 'fw1', running: true, xml: [hostdevDomain('fw1', igbVfAddress('0000:01:00.0', 0)), hostdevDomain('fw1', igbVfAddress('0000:01:00.0', 0))] }],
    watcher: 'running',
    systemd: true,
    unit: true,
    config: {
      path: '/etc/virt-sriov/config.json', error: null,
      pfs: { eth0: { numVfs: 2 }, eth1: { numVfs: 2, quirks: ['recreate-vfs-after-mac'] } },
      networks: { sriov: { vlan: 403 } },
    },
  };
}

export class FakeDoctorHost {
  readonly host: DoctorHost;
  readonly detectCalls: number[] = [];

  private constructor(readonly root: string, readonly sys: FakeHost, spec: FakeDoctorSpec) {
    const procRoot = join(root, 'proc');
    this.host = {
      sysfs: sys.sysfs,
      ip: sys.ip,
      procRoot,
      bootDir: join(root, 'boot'),
      modulesDir: join(root, 'lib/modules'),
      hooksDir: join(root, 'etc/libvirt/hooks'),
      stateDir: join(root, 'run/virt-sriov'),
      systemdRunDir: join(root, 'run/systemd/system'),
      unitDirs: [join(root, 'etc/systemd/system'), join(root, 'usr/lib/systemd/system')],
      now: () => NOW,
      detectVersions: async () => {
        this.detectCalls.push(1);
        if (spec.versions instanceof Error) throw spec.versions;
        return spec.versions;
      },
      probeLibvirt: async (uri) => {
        if (spec.libvirt instanceof Error) throw spec.libvirt;
        return { ...spec.libvirt, uri, domains: spec.domains };
      },
    };
  }

  static create(spec: FakeDoctorSpec): FakeDoctorHost {
    const sys = FakeHost.create(spec.pfs);
    const root = sys.root;
    const at = (...p: string[]) => join(root, ...p);
    const write = (path: string, text: string | Buffer) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    };
    const link = (path: string, target: string) => {
      mkdirSync(dirname(path), { recursive: true });
      symlinkSync(relative(dirname(path), target), path);
    };

    for (const nic of spec.plainNics) {
      // a virtio NIC's device is virtioN on the virtio bus, itself on a PCI device
      const dev = at('sys/devices', nic.pci ?? `virtio-${nic.name}`);
      mkdirSync(join(dev, 'net', nic.name), { recursive: true });
      mkdirSync(at('sys/bus/pci/drivers', nic.driver), { recursive: true });
      link(join(dev, 'driver'), at('sys/bus/pci/drivers', nic.driver));
      link(join(dev, 'net', nic.name, 'device'), dev);
      link(at('sys/class/net', nic.name), join(dev, 'net', nic.name));
    }
    for (let g = 0; g < spec.iommuGroups; g++) mkdirSync(at('sys/kernel/iommu_groups', String(g)), { recursive: true });

    // FakeHost registers vfio-pci as a driver; a host without it has none
    rmSync(at('sys/bus/pci/drivers/vfio-pci'), { recursive: true, force: true });
    const modules = at('lib/modules', spec.release);
    mkdirSync(modules, { recursive: true });
    write(join(modules, 'modules.dep'), 'kernel/drivers/vfio/vfio.ko:\nkernel/drivers/net/ethernet/intel/igb/igb.ko: kernel/drivers/dca/dca.ko\n');
    write(join(modules, 'modules.builtin'), 'kernel/drivers/pci/pci-stub.ko\n');
    if (spec.vfioPci === 'loaded' || spec.vfioPci === 'builtin') {
      mkdirSync(at('sys/bus/pci/drivers/vfio-pci'), { recursive: true });
      mkdirSync(at('sys/module/vfio_pci/parameters'), { recursive: true });
    }
    if (spec.vfioPci === 'module') {
      write(join(modules, 'modules.dep'), 'kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz kernel/drivers/vfio/vfio.ko.xz\n');
    }
    if (spec.vfioPci === 'builtin') write(join(modules, 'modules.builtin'), 'kernel/drivers/vfio/pci/vfio-pci.ko\n');

    write(at('proc/sys/kernel/osrelease'), `${spec.release}\n`);
    if (spec.cmdline !== null) write(at('proc/cmdline'), `${spec.cmdline}\n`);
    write(at('proc/cpuinfo'), spec.cpuVendor ? `processor\t: 0\nvendor_id\t: ${spec.cpuVendor}\ncpu family\t: 6\n\n` : 'processor\t: 0\nCPU implementer\t: 0x41\n\n');
    write(at('proc/uptime'), `${UPTIME_S}.00 170000.00\n`);
    mkdirSync(at('boot'), { recursive: true });
    if (spec.kernelConfig !== null) {
      if (spec.kernelConfigAt === 'boot') write(at('boot', `config-${spec.release}`), spec.kernelConfig);
      else write(at('proc/config.gz'), gzipSync(spec.kernelConfig));
    }
    for (const d of spec.daemons) {
      const ticks = Math.round((UPTIME_S - d.startedAgoMs / 1000) * 100);
      write(at('proc', String(d.pid), 'comm'), `${d.name}\n`);
      write(at('proc', String(d.pid), 'stat'),
        `${d.pid} (${d.name}) S 1 ${d.pid} ${d.pid} 0 -1 4194560 1 2 0 0 3 4 0 0 20 0 18 0 ${ticks} 1800000000 6000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n`);
    }
    // a process that is not a daemon, with a name that has a space and parentheses
    write(at('proc/99/comm'), 'tmux: server\n');
    write(at('proc/99/stat'), '99 (tmux: (server)) S 1 99 99 0 -1 4194560 1 2 0 0 3 4 0 0 20 0 1 0 100 1 1 1 1 1\n');

    const hooks = at('etc/libvirt/hooks');
    mkdirSync(hooks, { recursive: true });
    for (const d of spec.foreignHooks) write(join(hooks, d), '#!/bin/sh\n# the admin\'s own hook\nexit 0\n');
    if (spec.hooks) {
      for (const driver of spec.hooks.drivers) {
        const path = spec.hooks.layout === 'dir' ? join(hooks, `${driver}.d`, 'virt-sriov') : join(hooks, driver);
        write(path, `#!/usr/bin/node\n// virt-sriov hook (virt-sriov 0.1.0)\nconsole.log("${driver}");\n`);
        chmodSync(path, spec.hooks.mode);
        const t = (NOW - spec.hooks.installedAgoMs) / 1000;
        utimesSync(path, t, t);
      }
    }
    if (spec.systemd) mkdirSync(at('run/systemd/system'), { recursive: true });
    if (spec.unit) write(at('usr/lib/systemd/system/virt-sriov-watch.service'), '[Service]\nExecStart=/usr/bin/virt-sriov watch\n');
    // the kernel's list of held locks: someone else's first; the watcher's on its lock file, by device and inode
    let locks = '1: FLOCK  ADVISORY  WRITE 700 00:1a:99 0 EOF\n2: POSIX  ADVISORY  WRITE 701 fe:00:5 0 EOF\n';
    if (spec.watcher !== 'none') {
      write(at('run/virt-sriov/.watch.lock'), '');
      write(at('run/virt-sriov/watch.pid'), '4242\n');
      if (spec.watcher === 'unlisted') write(at('proc/4242/cmdline'), '/usr/bin/node\0/usr/bin/virt-sriov\0watch\0');
      if (spec.watcher === 'running') {
        const st = statSync(at('run/virt-sriov/.watch.lock'));
        const dev = (n: number) => n.toString(16).padStart(2, '0');
        locks += `3: FLOCK  ADVISORY  WRITE 4243 ${dev((st.dev >> 8) & 0xfff)}:${dev((st.dev & 0xff) | ((st.dev >> 12) & 0xfff00))}:${st.ino} 0 EOF\n`;
      }
    }
    write(at('proc/locks'), locks);
    return new FakeDoctorHost(root, sys, spec);
  }

  remove(): void {
    this.sys.remove();
  }
}
