/**
 * Where each part of an SR-IOV device lives in each assignment style, as data, in the spirit of
 * virt-manager's XMLProperty: the device element's attributes, its <source>'s attributes, and
 * its children in the order libvirt formats them. The reader, the builder and `convert` derive
 * from it; `style --table` prints it; test/integration/convert/style-table-schema.test.ts checks it against
 * libvirt's RNG schema both ways (every part named here is in the schema; every part the schema
 * allows under these elements is named here or carried through verbatim).
 *
 * A part a style can't hold is not lost on conversion: it goes into virt-sriov's metadata
 * (metadata.ts, <sriov:kept>) and comes back when the device returns to a style that holds it.
 */
import { isElement, type XmlElement, type XmlNode } from '../dom.js';
import { FAILOVER_RULE } from '../../versions/style-rules.js';
import { formatVersion } from '../../versions/version.js';
import { STYLE_ELEMENTS, STYLES, type Style } from './device-fields.js';

/** A part a style holds: always ('' since the style itself), or since a later libvirt version. */
export type Since = string;

export interface ChildRule {
  readonly name: string;
  readonly since?: Since;
  /** A narrower form the style takes of this element; absent: any form. */
  readonly fits?: (el: XmlElement) => boolean;
  /** One line for `style --table` about the narrower form. */
  readonly form?: string;
}

export interface StyleShape {
  readonly style: Style;
  /** The device element and the attributes that make it this style. */
  readonly element: 'hostdev' | 'interface';
  readonly fixed: Readonly<Record<string, string>>;
  /** How the style names its VF or pool: <source><address> (a VF) or <source network=> (a pool). */
  readonly identity: 'vf' | 'network';
  /** Whether <mac> and <vlan> are the element's own (else they live in metadata). */
  readonly macAndVlan: boolean;
  /** The device element's other attributes, and since when. */
  readonly attributes: Readonly<Record<string, Since>>;
  /** <source>'s attributes besides the identity. */
  readonly sourceAttributes: Readonly<Record<string, Since>>;
  /** Every child, own ones (mac, source, vlan) included, in the order libvirt formats them. */
  readonly children: readonly ChildRule[];
}

/** <teaming>: since the failover rule's libvirt (versions/style-rules.ts). */
const TEAMING: ChildRule = { name: 'teaming', since: formatVersion(FAILOVER_RULE.libvirt) };

const HOSTDEV_DRIVERS = ['kvm', 'vfio', 'xen'];

/** <driver name='vfio'/>: the form of <driver> that picks the host driver of a PCI device. */
export function isHostdevDriver(el: XmlElement): boolean {
  const attrs = Array.from(el.attributes).map((a) => a.name);
  return attrs.length === 1 && attrs[0] === 'name' && HOSTDEV_DRIVERS.includes(el.getAttribute('name')!)
    && !Array.from(el.childNodes).some(isElement);
}

const hostdevDriver: ChildRule = {
  name: 'driver', fits: isHostdevDriver, form: "name='kvm|vfio|xen' only (the host driver)",
};
const virtioDriver: ChildRule = {
  name: 'driver', fits: (el) => !isHostdevDriver(el), form: 'the virtio backend form (queues, txmode, <host>, <guest>)',
};

/** What libvirt prints of any device: boot order, alias, ROM, ACPI index, guest address. */
const DEVICE_INFO: readonly ChildRule[] = [
  { name: 'boot' }, { name: 'alias' }, { name: 'rom' }, { name: 'acpi', since: '7.3.0' }, { name: 'address' },
];

/** <interface>'s own options after <source> and <vlan>, in libvirt's order (virDomainNetDefFormat). */
const INTERFACE_OPTIONS = (driver: ChildRule | null): ChildRule[] => [
  { name: 'virtualport' }, { name: 'bandwidth' }, { name: 'ip' }, { name: 'route' }, { name: 'portForward', since: '9.0.0' },
  { name: 'script' }, { name: 'downscript' }, { name: 'backenddomain' }, { name: 'target' }, { name: 'guest' },
  { name: 'model' }, ...(driver ? [driver] : []), { name: 'backend' }, { name: 'filterref' }, { name: 'tune' },
  TEAMING, { name: 'link' }, { name: 'mtu' }, { name: 'coalesce' }, { name: 'port' },
  ...DEVICE_INFO,
];

export const STYLE_TABLE: Readonly<Record<Style, StyleShape>> = {
  hostdev: {
    style: 'hostdev', ...STYLE_ELEMENTS.hostdev, identity: 'vf', macAndVlan: false,
    attributes: { managed: '' },
    sourceAttributes: { startupPolicy: '', writeFiltering: '' },
    children: [
      hostdevDriver, { name: 'source' }, TEAMING, ...DEVICE_INFO,
      { name: 'readonly' }, { name: 'shareable' },
    ],
  },
  interface: {
    style: 'interface', ...STYLE_ELEMENTS.interface, identity: 'vf', macAndVlan: true,
    attributes: { managed: '', trustGuestRxFilters: '' },
    sourceAttributes: { missing: '' },
    // libvirt prints a hostdev interface's <driver> (either form) before <source>, as in a <hostdev>
    children: [{ name: 'mac' }, { name: 'driver' }, { name: 'source' }, { name: 'vlan' }, ...INTERFACE_OPTIONS(null)],
  },
  network: {
    style: 'network', ...STYLE_ELEMENTS.network, identity: 'network', macAndVlan: true,
    attributes: { trustGuestRxFilters: '' },
    sourceAttributes: { portgroup: '', portid: '', bridge: '', macTableManager: '' },
    children: [{ name: 'mac' }, { name: 'source' }, { name: 'vlan' }, ...INTERFACE_OPTIONS(virtioDriver)],
  },
};

/** The children a reader takes as the style's own fields rather than parts to carry. */
export const OWN_CHILDREN = ['mac', 'source', 'vlan'];

/** An element of no namespace that no style's table names: a newer libvirt's; carried verbatim. */
export function isKnownChild(name: string): boolean {
  return STYLES.some((s) => STYLE_TABLE[s].children.some((c) => c.name === name));
}

/**
 * Whether `style`'s XML holds this child (for the target libvirt, when known). Comments and
 * elements the table doesn't know (a newer libvirt's, or another namespace's) go wherever the
 * device goes: the schema test proves the table knows every element libvirt 9.0 allows.
 */
export function holdsChild(style: Style, node: XmlNode, libvirt?: (since: Since) => boolean): boolean {
  if (!isElement(node) || node.namespaceURI || !isKnownChild(node.localName)) return true;
  const rule = STYLE_TABLE[style].children.find((c) => c.name === node.localName && (!c.fits || c.fits(node)));
  return !!rule && (!rule.since || !libvirt || libvirt(rule.since));
}

export function holdsAttribute(style: Style, name: string, where: 'element' | 'source'): boolean {
  const shape = STYLE_TABLE[style];
  return name in (where === 'element' ? shape.attributes : shape.sourceAttributes);
}

/** A child's place in the style's order, for sorting a rebuilt element's children. */
export function childRank(style: Style, el: XmlElement): number {
  const children = STYLE_TABLE[style].children;
  const i = children.findIndex((c) => c.name === el.localName && (!c.fits || c.fits(el)));
  return i < 0 ? children.length : i;
}

/**
 * The table as plain data, for `style --table`: with a libvirt version, only what that libvirt
 * takes (a <teaming> needs 6.1.0); each part with the version it came in, where later than the style.
 */
export function styleTableJson(holds: (since: Since) => boolean = () => true): Record<Style, unknown> {
  const held = (parts: Readonly<Record<string, Since>>) => Object.fromEntries(Object.entries(parts).filter(([, v]) => !v || holds(v)));
  return Object.fromEntries(STYLES.map((s) => {
    const t = STYLE_TABLE[s];
    return [s, {
      element: t.element, fixed: t.fixed, identity: t.identity, macAndVlanInXml: t.macAndVlan,
      attributes: held(t.attributes), sourceAttributes: held(t.sourceAttributes),
      children: t.children.filter((c) => !c.since || holds(c.since))
        .map((c) => ({ name: c.name, ...(c.since ? { since: c.since } : {}), ...(c.form ? { form: c.form } : {}) })),
    }];
  })) as Record<Style, unknown>;
}
