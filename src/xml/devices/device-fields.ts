/**
 * What the three SR-IOV device styles have in common, as plain data: which VF or network, MAC
 * and VLAN where the XML holds them, and the children that are not the style's own (guest
 * address, alias, boot order, ...) so a conversion can carry them across.
 */
import { InputError } from '../../errors.js';
import type { PciAddress } from '../../model/pci-address.js';
import type { Vlan } from '../../model/vf-settings.js';
import type { XmlNode } from '../dom.js';

export type Style = 'hostdev' | 'interface' | 'network';
export const STYLES: readonly Style[] = ['hostdev', 'interface', 'network'];

export interface DeviceFields {
  /** The VF, for the pinned styles. */
  readonly vf?: PciAddress;
  /** The hostdev network, for network style. */
  readonly network?: string;
  readonly portgroup?: string;
  readonly mac?: string;
  readonly vlan?: Vlan;
  /** managed='yes|no' (libvirt detaches the VF to vfio-pci itself when yes). */
  readonly managed?: string;
  /** <driver name='vfio'/> and the like, where the style has one. */
  readonly driver?: XmlNode;
  /** Children that aren't the style's own, in document order (comments included). */
  readonly carried: readonly XmlNode[];
}

/** Children that every style accepts, so they survive any conversion. */
export const PORTABLE_CHILDREN = ['address', 'alias', 'boot', 'rom', 'acpi'];

export function describeStyle(style: Style): string {
  return {
    hostdev: "<hostdev mode='subsystem' type='pci'>",
    interface: "<interface type='hostdev'>",
    network: "<interface type='network'>",
  }[style];
}

export function parseStyle(text: string): Style {
  const s = text.trim().toLowerCase();
  if ((STYLES as readonly string[]).includes(s)) return s as Style;
  throw new InputError(`'${text}' is not an assignment style`,
    `use hostdev (${describeStyle('hostdev')}), interface (${describeStyle('interface')}) or network (${describeStyle('network')})`);
}
