/**
 * Which assignment style a libvirt/QEMU pair can run, as data. From the seed (Debian 7's
 * libvirt 0.9.12 and qemu-kvm 1.1.2 could only do plain <hostdev>) and libvirt's history.
 */
import type { Style } from '../xml/devices/device-fields.js';
import { atLeast, formatVersion, version, type Version } from './version.js';

export interface StyleRule {
  readonly style: Style;
  readonly libvirt: Version;
  readonly qemu: Version;
  readonly why: string;
}

/** Best first: a pool of VFs beats a pinned VF with MAC/VLAN in XML beats a bare PCI device. */
export const STYLE_RULES: readonly StyleRule[] = [
  { style: 'network', libvirt: version('0.10.0'), qemu: version('1.3.0'),
    why: "<forward mode='hostdev'> networks came in libvirt 0.10.0; VF assignment needs qemu(-kvm) 1.3" },
  { style: 'interface', libvirt: version('0.9.11'), qemu: version('1.3.0'),
    why: "<interface type='hostdev'> came in libvirt 0.9.11; qemu-kvm before 1.3 fails to start it" },
  { style: 'hostdev', libvirt: version('0.0.0'), qemu: version('0.0.0'),
    why: 'plain PCI assignment works with every libvirt and qemu' },
];

/**
 * A <teaming> failover pair (a virtio-net standby plus a transient VF, so the guest migrates
 * with plain `virsh migrate --live`): libvirt 6.1.0 formats and runs it, QEMU 4.2 has
 * virtio-net's failover=on and vfio-pci's failover_pair_id. The guest needs Linux >= 4.18's
 * net_failover, which no host-side version says.
 */
export const FAILOVER_RULE = {
  libvirt: version('6.1.0'), qemu: version('4.2.0'),
  why: '<teaming> came in libvirt 6.1.0; virtio-net failover in QEMU 4.2',
} as const;

/** Why a failover pair can't run on this pair of versions, in one sentence, or null if it can. */
export function whyNoFailover(libvirt: Version, qemu: Version): string | null {
  if (!atLeast(libvirt, FAILOVER_RULE.libvirt)) return `a failover pair needs libvirt >= ${formatVersion(FAILOVER_RULE.libvirt)} (this is ${formatVersion(libvirt)}): ${FAILOVER_RULE.why}`;
  if (!atLeast(qemu, FAILOVER_RULE.qemu)) return `a failover pair needs qemu >= ${formatVersion(FAILOVER_RULE.qemu)} (this is ${formatVersion(qemu)}): ${FAILOVER_RULE.why}`;
  return null;
}

/** <vlan> on hostdev interfaces and networks came in libvirt 0.10.0. */
export const VLAN_IN_XML_SINCE: Version = version('0.10.0');

export interface StyleSupport {
  /** Best first. */
  readonly supported: Style[];
  /** Whether <vlan> can live in the XML; if not, VLANs stay in metadata and the hook sets them. */
  readonly vlanInXml: boolean;
}

export function styleSupport(libvirt: Version, qemu: Version): StyleSupport {
  return {
    supported: STYLE_RULES.filter((r) => atLeast(libvirt, r.libvirt) && atLeast(qemu, r.qemu)).map((r) => r.style),
    vlanInXml: atLeast(libvirt, VLAN_IN_XML_SINCE),
  };
}

/** Why a style is not available with this pair, in one sentence, or null if it is. */
export function whyUnsupported(style: Style, libvirt: Version, qemu: Version): string | null {
  const rule = STYLE_RULES.find((r) => r.style === style)!;
  if (!atLeast(libvirt, rule.libvirt)) return `${style} style needs libvirt >= ${formatVersion(rule.libvirt)} (this is ${formatVersion(libvirt)})`;
  if (!atLeast(qemu, rule.qemu)) return `${style} style needs qemu >= ${formatVersion(rule.qemu)} (this is ${formatVersion(qemu)})`;
  return null;
}
