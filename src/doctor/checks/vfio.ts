/** vfio-pci: the driver libvirt binds a VF to before QEMU can use it. */
import type { Check, DoctorFacts } from '../facts.js';
import { fail, ok } from './check.js';

export function checkVfioPci(f: DoctorFacts): Check {
  const id = 'vfio-pci';
  const v = f.vfioPci;
  if (v.builtin) return ok(id, 'vfio-pci is built into the kernel');
  if (v.driverRegistered || v.moduleLoaded) return ok(id, 'vfio-pci is loaded');
  // libvirt modprobes vfio-pci itself when it first detaches a device
  if (v.loadable) return ok(id, 'vfio-pci is installed as a module, not loaded yet (libvirt loads it on first use; `modprobe vfio-pci` to try it)');
  const release = f.kernelRelease ?? '$(uname -r)';
  const configured = f.kernelConfig?.options.CONFIG_VFIO_PCI;
  if (configured === 'm') {
    return fail(id, `vfio-pci is built as a module for kernel ${release}, but the module is not installed${v.modulesDirFound ? '' : ` (no /lib/modules/${release})`}`,
      `reinstall the kernel's modules (apt-get install --reinstall linux-image-${release}), then modprobe vfio-pci`);
  }
  return fail(id, `vfio-pci is neither loaded nor installed for kernel ${release}: libvirt can't hand a VF to a guest`,
    `boot a kernel with CONFIG_VFIO_PCI=m (Debian's linux-image-amd64), then modprobe vfio-pci`);
}
