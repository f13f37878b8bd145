/**
 * The shell around the VF pool: the domains a libvirt connection knows, the VFs a PF has (from
 * this host's sysfs, or from libvirt's node devices for a remote host), and the lock that keeps
 * two concurrent `attach` calls from picking the same VF.
 */
import { OperationError } from '../errors.js';
import { listPfNames, readPfSysfs } from '../host/host-model.js';
import type { Sysfs } from '../host/sysfs.js';
import type { LibvirtConnection } from '../libvirt/index.js';
import { formatPciAddress } from '../model/pci-address.js';
import { withLock } from '../state/host-lock.js';
import type { DomainDefinition } from './vf-holders.js';

export function domainDefinitions(conn: LibvirtConnection): DomainDefinition[] {
  return conn.domains.list('all').map((d) => {
    const xml = [conn.domains.xml(d.name, { inactive: true })];
    if (d.active) xml.push(conn.domains.xml(d.name));
    return { name: d.name, running: d.active, xml };
  });
}

/** A PF's VFs in index order, from sysfs (local) or libvirt's node devices (remote). */
export function pfVfs(pf: string, source: { sysfs: Sysfs } | { conn: LibvirtConnection }): string[] {
  if ('sysfs' in source) {
    if (!listPfNames(source.sysfs).includes(pf)) {
      throw new OperationError(`${pf} is not an SR-IOV PF on this host`, '`virt-sriov status` lists the PFs; `ip link` the interfaces');
    }
    return readPfSysfs(source.sysfs, pf).vfAddresses;
  }
  const devices = source.conn.nodeDevices;
  const net = devices.list('net').find((name) => devices.describe(name).net?.name === pf);
  if (!net) throw new OperationError(`${pf}: libvirt on this host knows no such interface`, 'check the name with `virsh nodedev-list --cap net`');
  return devices.virtualFunctions(net).map(formatPciAddress);
}

/** Run `f` holding the pool lock (state/host-lock.ts); waits its turn (64 attaches queue up). */
export async function withPoolLock<T>(stateDir: string, f: () => Promise<T>): Promise<T> {
  return withLock(stateDir, 'pool', f);
}
