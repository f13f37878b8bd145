/** What the write commands learn through the libvirt connection: versions, networks, which devices are VFs. */
import type { LibvirtConnection } from '../libvirt/index.js';
import { isVf } from '../host/host-model.js';
import { pciNodeDeviceName } from '../libvirt/index.js';
import { styleSupport, type StyleSupport } from '../versions/style-rules.js';
import { ANY_QEMU, type Version } from '../versions/version.js';
import type { DeviceContext } from '../xml/domain.js';
import { parseNetworkXml, type HostdevNetwork } from '../xml/network.js';
import type { CommandContext } from './command-context.js';

export interface ConnectedVersions {
  readonly libvirt: Version;
  /** null when the driver reports none (the test driver): no qemu limit is assumed. */
  readonly qemu: Version | null;
}

export function connectedVersions(conn: LibvirtConnection): ConnectedVersions {
  // the hypervisor version is QEMU's only on a QEMU driver (the test driver reports its own)
  return { libvirt: conn.libraryVersion(), qemu: conn.hypervisorType().toUpperCase() === 'QEMU' ? conn.hypervisorVersion() : null };
}

export function connectedSupport(v: ConnectedVersions): StyleSupport {
  return styleSupport(v.libvirt, v.qemu ?? ANY_QEMU);
}

export function hostdevNetwork(conn: LibvirtConnection, name: string): HostdevNetwork | null {
  if (!conn.networks.lookup(name)) return null;
  return parseNetworkXml(conn.networks.xml(name), `network ${name}`);
}

/** VFs as the connected host knows them: sysfs here, node devices on a remote host. */
export function connectedDeviceContext(ctx: CommandContext): DeviceContext {
  const conn = ctx.libvirt;
  const local = ctx.local;
  const networks = new Map<string, boolean>();
  return {
    isVf: (a) => {
      if (local) return isVf(ctx.host.sysfs, a);
      try {
        return conn.nodeDevices.physicalFunction(pciNodeDeviceName(a)) !== null;
      } catch {
        return false;
      }
    },
    isHostdevNetwork: (n) => {
      if (!networks.has(n)) networks.set(n, hostdevNetwork(conn, n)?.hostdev ?? false);
      return networks.get(n)!;
    },
  };
}
