/** A PF's VFs in index order: from this host's sysfs, or from libvirt's node devices for a remote host. */
import { OperationError } from '../errors.js';
import { listPfNames, readPfSysfs } from '../host/host-model.js';
import type { Sysfs } from '../host/sysfs.js';
import type { LibvirtConnection } from '../libvirt/index.js';
import { formatPciAddress } from '../model/pci-address.js';

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
