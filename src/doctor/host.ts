/**
 * Everything doctor reads, behind one interface, so a test can point each part at a fake: the
 * file trees (sysfs, proc, /boot, /lib/modules, the hooks directory), `ip`, version detection
 * and libvirt.
 */
import type { Config } from '../config/config.js';
import { isVirtSriovError } from '../errors.js';
import { ipTool, type IpTool } from '../host/ip.js';
import { sysfsAt, type Sysfs } from '../host/sysfs.js';
import { ErrorCode, LibvirtError, openLibvirt, type LibvirtConnection } from '../libvirt/index.js';
import { domainDefinitions } from '../pool/domain-definitions.js';
import type { DomainDefinition } from '../pool/vf-holders.js';
import { detectVersions, type HostVersions } from '../versions/detect.js';
import type { Version } from '../versions/version.js';

/** What a read-only libvirt connection told. */
export interface LibvirtProbe {
  readonly uri: string;
  readonly libvirt: Version;
  readonly qemu: Version | null;
  readonly domainCapabilities: { readonly xml: string } | { readonly error: string };
  /** Every defined domain with its persistent XML, and the live one when it runs; or why they could not be read. */
  readonly domains: readonly DomainDefinition[] | { readonly error: string };
}

/** Why no connection could be opened: libvirt's own message, and a fix when it is not "start the daemon". */
export class ProbeError extends Error {
  constructor(message: string, readonly fix: string | null) {
    super(message);
  }
}

export interface DoctorHost {
  readonly sysfs: Sysfs;
  readonly ip: IpTool;
  /** /proc: cmdline, cpuinfo, uptime, config.gz, sys/kernel/osrelease, and PID/{comm,stat} for the daemons. */
  readonly procRoot: string;
  /** /boot, for config-RELEASE. */
  readonly bootDir: string;
  /** /lib/modules, for RELEASE/modules.{dep,builtin}. */
  readonly modulesDir: string;
  /** /etc/libvirt/hooks. */
  readonly hooksDir: string;
  /** The config's state dir, where the watcher holds its lock. */
  readonly stateDir: string;
  /** /run/systemd/system: there when systemd runs the host. */
  readonly systemdRunDir: string;
  /** Where systemd looks for system units, most local first. */
  readonly unitDirs: readonly string[];
  now(): number;
  /** libvirt's and QEMU's versions from their binaries; throws when either is not found. */
  detectVersions(): Promise<HostVersions>;
  /** Open `uri` read-only and ask it (domain capabilities read-write: libvirt refuses them read-only); throws ProbeError when no connection can be opened. */
  probeLibvirt(uri: string): Promise<LibvirtProbe>;
}

/** This machine, with the sysfs and `ip` the config names (a test host's, when it points at one). */
export function localDoctorHost(config: Pick<Config, 'sysfsRoot' | 'ipCommand' | 'stateDir'>): DoctorHost {
  return {
    sysfs: sysfsAt(config.sysfsRoot),
    ip: ipTool(config.ipCommand),
    procRoot: '/proc',
    bootDir: '/boot',
    modulesDir: '/lib/modules',
    hooksDir: '/etc/libvirt/hooks',
    stateDir: config.stateDir,
    systemdRunDir: '/run/systemd/system',
    unitDirs: ['/etc/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'],
    now: () => Date.now(),
    detectVersions,
    probeLibvirt: async (uri) => probeLibvirt(uri),
  };
}

function probeLibvirt(uri: string): LibvirtProbe {
  let conn;
  try {
    conn = openLibvirt({ uri, readOnly: true });
  } catch (e) {
    if (e instanceof LibvirtError) throw new ProbeError(e.libvirtMessage, null);
    // no libvirt0: its error says what to install
    throw new ProbeError((e as Error).message, isVirtSriovError(e) ? (e.fix ?? null) : null);
  }
  try {
    let qemu: Version | null = null;
    try {
      qemu = conn.hypervisorVersion();
    } catch {
      // some drivers don't say; the binaries may
    }
    return { uri: conn.uri, libvirt: conn.libraryVersion(), qemu, domainCapabilities: readDomainCapabilities(conn, uri), domains: readDomains(conn) };
  } finally {
    conn.close();
  }
}

function readDomains(conn: LibvirtConnection): LibvirtProbe['domains'] {
  try {
    return domainDefinitions(conn);
  } catch (e) {
    return { error: e instanceof LibvirtError ? e.libvirtMessage : (e as Error).message };
  }
}

/**
 * libvirt refuses virConnectGetDomainCapabilities on a read-only connection (it may probe the
 * emulator), so ask again on a read-write one, which root and the libvirt group may open.
 */
function readDomainCapabilities(readOnly: LibvirtConnection, uri: string): LibvirtProbe['domainCapabilities'] {
  const message = (e: unknown) => (e instanceof LibvirtError ? e.libvirtMessage : (e as Error).message);
  try {
    return { xml: readOnly.domainCapabilities() };
  } catch (e) {
    if (!(e instanceof LibvirtError) || e.code !== ErrorCode.OPERATION_DENIED) return { error: message(e) };
  }
  let conn: LibvirtConnection | undefined;
  try {
    conn = openLibvirt({ uri });
    return { xml: conn.domainCapabilities() };
  } catch (e) {
    return { error: `domain capabilities need a read-write connection (root or the libvirt group): ${message(e)}` };
  } finally {
    conn?.close();
  }
}
