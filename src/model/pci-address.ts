import { InputError } from '../errors.js';

/** A PCI address (domain:bus:slot.function), as sysfs and libvirt name devices. */
export interface PciAddress {
  readonly domain: number;
  readonly bus: number;
  readonly slot: number;
  readonly function: number;
}

const LIMITS = { domain: 0xffff, bus: 0xff, slot: 0x1f, function: 0x7 } as const;
const SYSFS_FORM = /^(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$/;

/** Parse `0000:01:10.2` (or `01:10.2`, domain 0). */
export function parsePciAddress(text: string): PciAddress {
  const m = SYSFS_FORM.exec(text.trim());
  if (!m) {
    throw new InputError(
      `'${text}' is not a PCI address`,
      'write it as DOMAIN:BUS:SLOT.FUNCTION in hex, e.g. 0000:01:10.2 (see `lspci -D`)',
    );
  }
  return checked({
    domain: parseInt(m[1] ?? '0', 16),
    bus: parseInt(m[2]!, 16),
    slot: parseInt(m[3]!, 16),
    function: parseInt(m[4]!, 16),
  }, text);
}

/**
 * Whether `text` is a PCI address exactly as sysfs names a device (and formatPciAddress writes
 * it): `0000:01:10.2`, lower-case hex, every digit there. For names read from sysfs or made from
 * such names (state files); parsePciAddress is for what an admin types.
 */
export function isPciName(text: string): boolean {
  const m = SYSFS_FORM.exec(text);
  return m !== null && m[1]?.length === 4 && m[2]!.length === 2 && m[3]!.length === 2 && text === text.toLowerCase();
}

/** The canonical sysfs form, `0000:01:10.2`. */
export function formatPciAddress(a: PciAddress): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  return `${hex(a.domain, 4)}:${hex(a.bus, 2)}:${hex(a.slot, 2)}.${a.function.toString(16)}`;
}

export function samePciAddress(a: PciAddress, b: PciAddress): boolean {
  return a.domain === b.domain && a.bus === b.bus && a.slot === b.slot && a.function === b.function;
}

/** The four attributes of libvirt's `<address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>`. */
export function pciAddressFromAttributes(attrs: (name: string) => string | null, where: string): PciAddress {
  const parts = {} as Record<keyof PciAddress, number>;
  for (const key of Object.keys(LIMITS) as (keyof PciAddress)[]) {
    const raw = attrs(key);
    // libvirt defaults a missing domain to 0; every other part must be there.
    if (raw === null && key === 'domain') {
      parts.domain = 0;
      continue;
    }
    const value = raw === null ? NaN : parseXmlNumber(raw);
    if (!Number.isInteger(value)) {
      throw new InputError(
        `${where}: the PCI address has ${raw === null ? `no ${key}` : `a bad ${key} '${raw}'`}`,
        `give all of domain, bus, slot and function, e.g. <address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>`,
      );
    }
    parts[key] = value;
  }
  return checked(parts, where);
}

export function pciAddressAttributes(a: PciAddress): Record<string, string> {
  const hex = (n: number, width: number) => `0x${n.toString(16).padStart(width, '0')}`;
  return { domain: hex(a.domain, 4), bus: hex(a.bus, 2), slot: hex(a.slot, 2), function: hex(a.function, 1) };
}

/** libvirt reads these numbers as C does: 0x.. hex, 0.. octal, else decimal. */
function parseXmlNumber(raw: string): number {
  const s = raw.trim();
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]+$/.test(s)) return parseInt(s, 8);
  if (/^[0-9]+$/.test(s)) return parseInt(s, 10);
  return NaN;
}

function checked(a: PciAddress, where: string): PciAddress {
  for (const key of Object.keys(LIMITS) as (keyof PciAddress)[]) {
    if (a[key] > LIMITS[key]) {
      throw new InputError(
        `${where}: PCI ${key} ${a[key]} is out of range (0-0x${LIMITS[key].toString(16)})`,
        'check the address against `lspci -D`',
      );
    }
  }
  return a;
}

/**
 * A PF's SR-IOV capability says where its VFs sit on the bus, whether they exist or not (PCIe
 * SR-IOV, "First VF Offset" and "VF Stride"; sysfs `sriov_offset`, `sriov_stride`): VF n's
 * routing ID (bus << 8 | slot << 3 | function) is the PF's + offset + n * stride.
 */
export interface VfLayout {
  readonly pf: PciAddress;
  readonly offset: number;
  readonly stride: number;
  readonly totalVfs: number;
}

const routingId = (a: PciAddress) => (a.bus << 8) | (a.slot << 3) | a.function;

/** The address VF `index` of this PF has (or will have once it exists). */
export function vfAddressAt(layout: VfLayout, index: number): PciAddress {
  const rid = routingId(layout.pf) + layout.offset + index * layout.stride;
  return { domain: layout.pf.domain, bus: rid >> 8, slot: (rid >> 3) & 0x1f, function: rid & 0x7 };
}

/** Which VF of this PF an address is, or null when the PF can't make it. Pure. */
export function vfIndexIn(layout: VfLayout, vf: PciAddress): number | null {
  if (vf.domain !== layout.pf.domain) return null;
  const from = routingId(vf) - routingId(layout.pf) - layout.offset;
  // a PF with one VF may report a stride of 0
  const n = layout.stride > 0 ? from / layout.stride : from === 0 ? 0 : -1;
  return Number.isInteger(n) && n >= 0 && n < layout.totalVfs ? n : null;
}
