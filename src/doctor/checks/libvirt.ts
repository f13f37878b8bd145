/**
 * libvirt and QEMU: their versions and the assignment styles those allow, whether the daemon
 * answers, and whether it offers PCI assignment through VFIO (`virsh domcapabilities`).
 */
import { STYLE_RULES, styleSupport, whyUnsupported } from '../../versions/style-rules.js';
import { ANY_QEMU, formatVersion, type Version } from '../../versions/version.js';
import { childElements, child } from '../../xml/dom.js';
import { readXml } from '../../xml/document.js';
import type { Check, DoctorFacts } from '../facts.js';
import { fail, list, ok, warn } from './check.js';

export const START_DAEMON_FIX = 'start the libvirt daemon: systemctl start libvirtd (modular installs: systemctl start virtqemud.socket virtnetworkd.socket), '
  + 'then check with virsh -c qemu:///system version';


interface Versions {
  readonly libvirt: Version;
  /** null when neither the daemon nor a binary told. */
  readonly qemu: Version | null;
  readonly source: string;
}

/** The libvirt version, from the daemon or else its binaries; null when unknown. */
export function libvirtVersion(f: DoctorFacts): Version | null {
  if (f.libvirt.connected) return f.libvirt.libvirt;
  return f.binaryVersions && 'libvirt' in f.binaryVersions ? f.binaryVersions.libvirt : null;
}

export function hostVersions(f: DoctorFacts): Versions | null {
  const binaries = f.binaryVersions && 'libvirt' in f.binaryVersions ? f.binaryVersions : null;
  if (f.libvirt.connected) {
    return { libvirt: f.libvirt.libvirt, qemu: f.libvirt.qemu ?? binaries?.qemu ?? null, source: `the daemon at ${f.libvirt.uri}` };
  }
  return binaries ? { ...binaries, source: 'the installed binaries' } : null;
}

export function checkVersions(f: DoctorFacts): Check {
  const id = 'versions';
  const v = hostVersions(f);
  if (!v) {
    const why = f.binaryVersions && 'error' in f.binaryVersions ? f.binaryVersions.error : 'no libvirt daemon answered and no libvirt or qemu binary was found';
    return fail(id, `libvirt and qemu versions unknown: ${why}`, 'apt-get install libvirt-daemon-system qemu-system-x86');
  }
  const names = `libvirt ${formatVersion(v.libvirt)}, qemu ${v.qemu ? formatVersion(v.qemu) : 'unknown'}`;
  const support = styleSupport(v.libvirt, v.qemu ?? ANY_QEMU);
  const vlan = support.vlanInXml ? 'VLANs in the XML' : 'VLANs set by the hook (<vlan> needs libvirt >= 0.10.0)';
  if (support.supported.includes('network')) return ok(id, `${names} (from ${v.source}): styles ${support.supported.join(', ')}; ${vlan}`);
  const missing = STYLE_RULES.filter((r) => !support.supported.includes(r.style));
  const why = missing.map((r) => whyUnsupported(r.style, v.libvirt, v.qemu ?? ANY_QEMU)).filter(Boolean);
  return warn(id, `${names} (from ${v.source}): only ${support.supported.length === 1 ? 'style' : 'styles'} ${support.supported.join(', ')}; ${why.join('; ')}`,
    `upgrade to libvirt >= ${formatVersion(STYLE_RULES[0]!.libvirt)} and qemu >= ${formatVersion(STYLE_RULES[0]!.qemu)} for VF pools (network style) and MAC/VLAN in the XML`);
}

export function checkLibvirtConnection(f: DoctorFacts): Check {
  const id = 'libvirt-connection';
  const l = f.libvirt;
  const where = l.local ? '' : ' (a remote host: the other checks are of this machine)';
  if (l.connected && /\/session$/.test(l.uri)) {
    return warn(id, `connected to ${l.uri}, a session daemon: it runs no hooks, so virt-sriov can't ready VFs for its guests`,
      'use the system daemon: -c qemu:///system (and unset LIBVIRT_DEFAULT_URI)');
  }
  if (l.connected) {
    return ok(id, `connected read-only to ${l.uri}${where}: libvirt ${formatVersion(l.libvirt)}${l.qemu ? `, QEMU ${formatVersion(l.qemu)}` : ''}`);
  }
  return warn(id, `could not connect to ${l.uri}${where}: ${l.error}`, l.fix ?? (l.local ? START_DAEMON_FIX : 'check the URI and that the daemon on that host runs'));
}

/** What domcapabilities says about PCI host devices. */
export function hostdevSupport(xml: string): { supported: boolean; backends: string[] } {
  const root = readXml(xml, 'domain capabilities').root;
  const hostdev = child(root, 'devices', 'hostdev');
  if (!hostdev) return { supported: false, backends: [] };
  const backends = childElements(hostdev, 'enum').find((e) => e.getAttribute('name') === 'pciBackend');
  return {
    supported: hostdev.getAttribute('supported') === 'yes',
    backends: backends ? childElements(backends, 'value').map((v) => (v.textContent ?? '').trim()) : [],
  };
}

export function checkDomainCapabilities(f: DoctorFacts): Check {
  const id = 'domcapabilities-vfio';
  const l = f.libvirt;
  if (!l.connected) return warn(id, 'not checked: no libvirt connection to ask for domain capabilities',
    l.fix ?? 'connect to libvirt first (see libvirt-connection), then run doctor again');
  const caps = l.domainCapabilities;
  if ('error' in caps) {
    return warn(id, `libvirt could not report domain capabilities: ${caps.error}`,
      'check that qemu-system-x86 is installed and /dev/kvm exists (KVM on in the BIOS; kvm_intel or kvm_amd loaded); `virsh domcapabilities` shows the same');
  }
  let support: ReturnType<typeof hostdevSupport>;
  try {
    support = hostdevSupport(caps.xml);
  } catch (e) {
    return warn(id, `could not read libvirt's domain capabilities: ${(e as Error).message}`, 'compare with `virsh domcapabilities`');
  }
  // libvirt offers vfio only when /dev/vfio/vfio exists and the IOMMU has groups
  const fix = 'turn the IOMMU on and load vfio-pci (see the iommu and vfio-pci checks), then restart the libvirt daemon';
  if (!support.supported) return fail(id, "libvirt offers no PCI host device assignment (<hostdev supported='no'>)", fix);
  if (!support.backends.includes('vfio')) {
    return fail(id, `libvirt offers PCI assignment without the vfio backend (pciBackend: ${list(support.backends) || 'none'})`, fix);
  }
  return ok(id, `libvirt offers PCI host devices through vfio (pciBackend: ${list(support.backends)})`);
}
