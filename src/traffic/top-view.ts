/**
 * What `virt-sriov top` shows of one interval, as text. Pure. On a terminal: the guests, then
 * their VFs, busiest first, rates in bit/s and packets/s, drops in red; elsewhere one plain line
 * per guest and per VF, in base units, for grep and awk.
 */
import { renderTable } from '../table.js';
import { byTraffic, type GuestRates, type Rates, type VfRates } from './rates.js';
import { formatBitRate, formatCountRate } from './units.js';

export interface TopFrame {
  readonly at: Date;
  /** The interval the rates cover. */
  readonly seconds: number;
  readonly vfs: readonly VfRates[];
  readonly guests: readonly GuestRates[];
  /** Why some VFs show no rates (a driver that counts nothing per VF). */
  readonly notes: readonly string[];
}

const RED = (t: string) => `\x1b[1;31m${t}\x1b[0m`;

function rateCells(r: Rates | null, color: boolean): string[] {
  if (!r) return ['-', '-', '-', '-', '-'];
  const drops = r.drops === null ? '-' : formatCountRate(r.drops);
  return [formatBitRate(r.rxBytes), formatBitRate(r.txBytes), formatCountRate(r.rxPackets), formatCountRate(r.txPackets),
    color && r.drops ? RED(drops) : drops];
}

/** The terminal view: `rows` is the terminal's height; what doesn't fit is counted, not shown. */
export function renderTopScreen(f: TopFrame, { rows = 50, color = true } = {}): string {
  const time = f.at.toISOString().slice(11, 19);
  const head = `virt-sriov top  ${time}  rates over ${round(f.seconds)} s  (Ctrl-C to quit)`;
  const guests = byTraffic(f.guests, (g) => g.domain);
  const vfs = byTraffic(f.vfs, (v) => v.pci);
  const guestTable = guests.length
    ? renderTable([['GUEST', 'VFS', 'RX', 'TX', 'RX PKT/S', 'TX PKT/S', 'DROPS/S'], ...guests.map((g) => [g.domain, String(g.vfs), ...rateCells(g.rates, color)])])
    : ['no running guest holds a VF'];
  const notes = f.notes.map((n) => `-: ${n}`);
  // the VF table gets what the rest leaves of the terminal: its header, the VFs, a line for the rest
  const room = rows - (1 + 1 + guestTable.length + 1 + notes.length);
  const shown = vfs.length + 1 <= room ? vfs : vfs.slice(0, Math.max(1, room - 2));
  const vfTable = renderTable([['PF', 'VF', 'PCI', 'GUEST', 'NIC', 'RX', 'TX', 'RX PKT/S', 'TX PKT/S', 'DROPS/S'],
    ...shown.map((v) => [v.pf, String(v.vf), v.pci, v.domain ?? '-', v.nic ?? '-', ...rateCells(v.rates, color)])]);
  const more = vfs.length > shown.length ? [`... ${vfs.length - shown.length} more VFs (the quietest)`] : [];
  return [head, '', ...guestTable, '', ...vfTable, ...more, ...notes].join('\n') + '\n';
}

/** The plain view: one line per guest and per VF, `key=value`, rates per second in bytes and packets. */
export function renderTopLines(f: TopFrame): string {
  const at = f.at.toISOString().replace(/\.\d+Z$/, 'Z');
  const values = (r: Rates | null) => (r
    ? `rx_bytes_per_s=${round(r.rxBytes)} tx_bytes_per_s=${round(r.txBytes)} rx_packets_per_s=${round(r.rxPackets)} tx_packets_per_s=${round(r.txPackets)} drops_per_s=${r.drops === null ? '-' : round(r.drops)}`
    : 'rates=-');
  const lines = [
    ...byTraffic(f.guests, (g) => g.domain).map((g) => `${at} guest=${g.domain} vfs=${g.vfs} ${values(g.rates)}`),
    ...byTraffic(f.vfs, (v) => v.pci).map((v) => `${at} vf=${v.pf}/${v.vf} pci=${v.pci} domain=${v.domain ?? '-'} nic=${v.nic ?? '-'} ${values(v.rates)}`),
  ];
  return lines.length ? lines.join('\n') + '\n' : '';
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
