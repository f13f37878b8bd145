/**
 * Traffic in an admin's units: amounts in bytes with binary prefixes (as `ip -s -h` prints
 * them), rates in bits per second with decimal ones (as links are sold). Pure.
 */

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
const SI = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];

function scaled(value: number, base: number, units: readonly string[]): string {
  let i = 0;
  while (Math.abs(value) >= base && i < units.length - 1) {
    value /= base;
    i++;
  }
  // three significant digits at most: 0 B, 512 B, 1.5 KiB, 12.3 MiB, 123 GiB
  const text = i === 0 || Math.abs(value) >= 100 ? Math.round(value).toString() : value.toFixed(Math.abs(value) >= 10 ? 1 : 2).replace(/\.?0+$/, '');
  return `${text} ${units[i]}`;
}

export function formatBytes(bytes: number): string {
  return scaled(bytes, 1024, IEC);
}

export function formatBitRate(bytesPerSecond: number): string {
  return scaled(bytesPerSecond * 8, 1000, SI);
}

/** Packets (or anything counted) per second: 0, 12, 1.5k, 2.3M. */
export function formatCountRate(perSecond: number): string {
  if (perSecond < 1000) return perSecond < 10 && perSecond > 0 ? perSecond.toFixed(1).replace(/\.0$/, '') : Math.round(perSecond).toString();
  return scaled(perSecond, 1000, ['', 'k', 'M', 'G']).replace(' ', '');
}
