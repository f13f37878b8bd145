/**
 * Read a host's facts for doctor. Only reading and parsing happen here; every judgement is in
 * checks/. Whatever can't be read becomes a fact too (null, an error text), never an exception.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isVf, listPfNames, readPfSysfs } from '../host/host-model.js';
import { isLocalUri } from '../libvirt/uri.js';
import { formatPciAddress, isPciName } from '../model/pci-address.js';
import type { DomainDefinition } from '../pool/vf-holders.js';
import { watcherState } from '../watch/running.js';
import { scanPciSources, type ScannedPciSource } from '../xml/device-scan.js';
import { parseKernelConfig } from './checks/kernel.js';
import { WATCH_UNIT } from './checks/watcher.js';
import {
  DAEMON_NAMES, HOOK_DRIVERS,
  type BinaryVersions, type ConfigFacts, type DaemonName, type DaemonProcess, type DoctorFacts, type GuestFacts, type GuestPciDevice,
  type HookFacts, type HookFile, type KernelConfig, type LibvirtFacts, type NicFacts, type VfioPciFacts, type WatcherFacts,
} from './facts.js';
import { ProbeError, type DoctorHost, type LibvirtProbe } from './host.js';

/** install.sh writes it into every hook file it installs. */
export const HOOK_MARKER = 'virt-sriov hook';

/** USER_HZ, the unit of /proc/PID/stat's start time: 100 on every Linux architecture libvirt runs on. */
const CLOCK_TICKS = 100;

export interface GatherOptions {
  readonly config: ConfigFacts;
  /** The libvirt URI to ask. */
  readonly uri: string;
}

export async function gather(host: DoctorHost, options: GatherOptions): Promise<DoctorFacts> {
  const proc = (p: string) => readText(join(host.procRoot, p));
  const kernelRelease = proc('sys/kernel/osrelease')?.trim() || null;
  const [nics, { libvirt, domains }] = await Promise.all([readNics(host), readLibvirt(host, options.uri)]);
  const binaryVersions = libvirt.connected && libvirt.qemu ? null : await readBinaryVersions(host);
  return {
    config: options.config,
    cpuVendor: cpuVendor(proc('cpuinfo')),
    cmdline: proc('cmdline')?.replace(/\0/g, ' ').trim() ?? null,
    iommuGroups: host.sysfs.list('kernel/iommu_groups').length,
    kernelRelease,
    kernelConfig: readKernelConfig(host, kernelRelease),
    vfioPci: readVfioPci(host, kernelRelease),
    nics,
    libvirt,
    binaryVersions,
    hooks: readHooks(host.hooksDir),
    daemons: readDaemons(host),
    watcher: readWatcher(host),
    guests: !libvirt.local ? 'remote' : 'error' in domains ? domains : readGuests(host, domains),
  };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function cpuVendor(cpuinfo: string | null): DoctorFacts['cpuVendor'] {
  const vendor = cpuinfo && /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
  if (vendor === 'GenuineIntel') return 'intel';
  // Hygon's CPUs are AMD's design, with AMD-Vi
  if (vendor === 'AuthenticAMD' || vendor === 'HygonGenuine') return 'amd';
  return null;
}

/** /boot/config-RELEASE, which Debian installs with each kernel, else the kernel's own copy. */
function readKernelConfig(host: DoctorHost, release: string | null): KernelConfig | null {
  if (release) {
    const path = join(host.bootDir, `config-${release}`);
    const text = readText(path);
    if (text !== null) return parseKernelConfig(text, path);
  }
  const gz = join(host.procRoot, 'config.gz');
  try {
    return parseKernelConfig(gunzipSync(readFileSync(gz)).toString('utf8'), gz);
  } catch {
    return null;
  }
}

function readVfioPci(host: DoctorHost, release: string | null): VfioPciFacts {
  const dir = release ? join(host.modulesDir, release) : null;
  // modules.dep and modules.builtin name the file: .../vfio-pci.ko, maybe compressed
  const listed = (file: string) => {
    const text = dir ? readText(join(dir, file)) : null;
    return text !== null && /(^|\/)vfio-pci\.ko(\.(xz|gz|zst))?(:|$)/m.test(text);
  };
  let modulesDirFound = false;
  try {
    modulesDirFound = !!dir && statSync(dir).isDirectory();
  } catch {
    // no modules for this kernel
  }
  return {
    driverRegistered: host.sysfs.exists('bus/pci/drivers/vfio-pci'),
    moduleLoaded: host.sysfs.exists('module/vfio_pci'),
    builtin: listed('modules.builtin'),
    loadable: listed('modules.dep'),
    modulesDirFound,
  };
}

/** Every interface backed by a device, except VFs; each PF with its link state. */
async function readNics(host: DoctorHost): Promise<NicFacts[]> {
  const { sysfs, ip } = host;
  const pfs = new Set(listPfNames(sysfs));
  const names = sysfs.list('class/net').filter((n) => sysfs.exists(`class/net/${n}/device`) && !sysfs.exists(`class/net/${n}/device/physfn`)).sort();
  return Promise.all(names.map(async (name): Promise<NicFacts> => {
    const dev = `class/net/${name}/device`;
    const device = sysfs.linkName(dev);
    const base = { name, pci: device && isPciName(device) ? device : null, driver: sysfs.linkName(`${dev}/driver`) };
    if (!pfs.has(name)) return { ...base, sriov: false, totalVfs: 0, numVfs: 0, link: null };
    const pf = readPfSysfs(sysfs, name);
    let link: NicFacts['link'];
    try {
      link = { up: (await ip.show(name)).up };
    } catch (e) {
      link = { error: (e as Error).message };
    }
    return { ...base, sriov: true, totalVfs: pf.totalVfs, numVfs: pf.numVfs, link };
  }));
}

async function readLibvirt(host: DoctorHost, uri: string): Promise<{ libvirt: LibvirtFacts; domains: LibvirtProbe['domains'] }> {
  const local = isLocalUri(uri);
  try {
    const probe = await host.probeLibvirt(uri);
    return {
      libvirt: { connected: true, local, uri: probe.uri, libvirt: probe.libvirt, qemu: probe.qemu, domainCapabilities: probe.domainCapabilities },
      domains: probe.domains,
    };
  } catch (e) {
    const message = (e as Error).message;
    return { libvirt: { connected: false, local, uri, error: message, fix: e instanceof ProbeError ? e.fix : null }, domains: { error: message } };
  }
}

/**
 * The watcher's lock held or not (the kernel's list), its pid file, and what would run it. In a
 * pid namespace other than the host's (a container), the kernel lists no lock whose taker
 * (flock(1), gone once it took it) it can't name there: the pid file's process, a `watch`
 * running now, says it instead.
 */
function readWatcher(host: DoctorHost): WatcherFacts {
  const { running, pid, lockFile: lock } = watcherState(host.stateDir, host.procRoot);
  const exists = (p: string) => {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  };
  return {
    running, lockFile: lock, pid,
    systemd: exists(host.systemdRunDir),
    unit: host.unitDirs.map((d) => join(d, WATCH_UNIT)).find(exists) ?? null,
  };
}

/** Every domain that assigns PCI devices by address, each device with what sysfs says it is. */
function readGuests(host: DoctorHost, domains: readonly DomainDefinition[]): GuestFacts[] {
  return domains.flatMap((d) => {
    const seen = new Map<string, GuestPciDevice>();
    for (const text of d.xml) {
      let sources: ScannedPciSource[];
      try {
        sources = scanPciSources(text);
      } catch {
        continue; // a domain we can't read names nothing we can see
      }
      for (const s of sources) {
        const pci = formatPciAddress(s.address);
        if (seen.has(pci)) continue;
        const device = !host.sysfs.exists(`bus/pci/devices/${pci}`) ? 'absent' : isVf(host.sysfs, s.address) ? 'vf' : 'other';
        seen.set(pci, { pci, style: s.style, device });
      }
    }
    return seen.size ? [{ name: d.name, running: d.running, devices: [...seen.values()] }] : [];
  });
}

async function readBinaryVersions(host: DoctorHost): Promise<BinaryVersions> {
  try {
    return await host.detectVersions();
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** At most this much of a main hook file is read for the marker (install.sh puts it on line 2). */
const MARKER_WINDOW = 4096;

function readHooks(dir: string): HookFacts {
  const installed: HookFile[] = [];
  const foreign: string[] = [];
  const file = (path: string) => {
    try {
      const st = statSync(path);
      return st.isFile() ? st : null;
    } catch {
      return null;
    }
  };
  for (const driver of HOOK_DRIVERS) {
    const inDir = join(dir, `${driver}.d`, 'virt-sriov');
    const dirStat = file(inDir);
    if (dirStat) installed.push({ driver, path: inDir, layout: 'dir', mtimeMs: dirStat.mtimeMs, executable: (dirStat.mode & 0o111) !== 0 });
    const main = join(dir, driver);
    const mainStat = file(main);
    if (mainStat) {
      if (head(main).includes(HOOK_MARKER)) installed.push({ driver, path: main, layout: 'main', mtimeMs: mainStat.mtimeMs, executable: (mainStat.mode & 0o111) !== 0 });
      else foreign.push(main);
    }
  }
  return { dir, installed, foreign };
}

function head(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(MARKER_WINDOW);
    return buf.subarray(0, readSync(fd, buf, 0, MARKER_WINDOW, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The running libvirt daemons and when each started (from /proc/PID/stat and the uptime). */
function readDaemons(host: DoctorHost): DaemonProcess[] {
  const uptime = Number(readText(join(host.procRoot, 'uptime'))?.split(/\s+/)[0]);
  if (!Number.isFinite(uptime)) return [];
  const now = host.now();
  const daemons: DaemonProcess[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync(host.procRoot).filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  for (const pid of pids) {
    const comm = readText(join(host.procRoot, pid, 'comm'))?.trim();
    if (!comm || !(DAEMON_NAMES as readonly string[]).includes(comm)) continue;
    const stat = readText(join(host.procRoot, pid, 'stat'));
    // the command name in (...) may hold spaces: count fields after its closing parenthesis
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields?.[19]); // field 22, starttime, counted from field 3
    if (!Number.isFinite(ticks)) continue;
    daemons.push({ name: comm as DaemonName, pid: Number(pid), startedAtMs: Math.round(now - (uptime - ticks / CLOCK_TICKS) * 1000) });
  }
  return daemons.sort((a, b) => a.pid - b.pid);
}
