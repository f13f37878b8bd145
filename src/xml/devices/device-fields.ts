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

/**
 * The parts of a device that are neither its VF or network nor its MAC and VLAN: attributes of
 * the element and of its <source>, and every other child (comments included) in document order.
 * style-table.ts says which style holds which.
 */
export interface DeviceParts {
  readonly attributes: Readonly<Record<string, string>>;
  readonly sourceAttributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}

export interface DeviceFields extends DeviceParts {
  /** The VF, for the pinned styles. */
  readonly vf?: PciAddress;
  /** The hostdev network, for network style. */
  readonly network?: string;
  readonly mac?: string;
  readonly vlan?: Vlan;
}

export const NO_PARTS: DeviceParts = { attributes: {}, sourceAttributes: {}, children: [] };

/**
 * What makes a device element each style: its name and fixed attributes. The one answer to "what
 * is an SR-IOV device": style-table.ts builds on it, and the hooks' triage (src/hooks/triage.ts)
 * derives its rule from it, so it is kept light (the hook entry loads it).
 */
export const STYLE_ELEMENTS: Readonly<Record<Style, { readonly element: 'hostdev' | 'interface'; readonly fixed: Readonly<Record<string, string>> }>> = {
  hostdev: { element: 'hostdev', fixed: { mode: 'subsystem', type: 'pci' } },
  interface: { element: 'interface', fixed: { type: 'hostdev' } },
  network: { element: 'interface', fixed: { type: 'network' } },
};

/** The style's start tag, as an admin writes it: <hostdev mode='subsystem' type='pci'>. */
export function describeStyle(style: Style): string {
  const { element, fixed } = STYLE_ELEMENTS[style];
  return `<${element}${Object.entries(fixed).map(([name, value]) => ` ${name}='${value}'`).join('')}>`;
}

export function parseStyle(text: string): Style {
  const s = text.trim().toLowerCase();
  if ((STYLES as readonly string[]).includes(s)) return s as Style;
  throw new InputError(`'${text}' is not an assignment style`,
    `use hostdev (${describeStyle('hostdev')}), interface (${describeStyle('interface')}) or network (${describeStyle('network')})`);
}
