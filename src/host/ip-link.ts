/**
 * `ip link` both ways: what `ip -j link show dev PF` says about a PF and its VFs (iproute2's
 * vfinfo_list), and the `ip link set dev PF vf N ...` words of a VF operation.
 */
import { OperationError } from '../errors.js';
import type { LinkState } from '../model/vf-settings.js';
import type { VfOp } from './vf-port.js';

/** The words after `ip` (one line of `ip -batch`) that make one VF operation. */
export function ipLinkWords(op: VfOp): string[] {
  const base = ['link', 'set', 'dev', op.vf.pf, 'vf', String(op.vf.index)];
  const onOff = (b: boolean) => (b ? 'on' : 'off');
  switch (op.key) {
    case 'mac':
      return [...base, 'mac', op.value];
    case 'vlan':
      return [...base, 'vlan', ...(op.value ? [String(op.value.id), ...(op.value.qos !== undefined ? ['qos', String(op.value.qos)] : [])] : ['0'])];
    case 'spoofchk':
    case 'trust':
      return [...base, op.key, onOff(op.value)];
    case 'queryRss':
      return [...base, 'query_rss', onOff(op.value)];
    case 'linkState':
      return [...base, 'state', op.value];
    case 'txRate':
      return [...base, 'min_tx_rate', String(op.value.min), 'max_tx_rate', String(op.value.max)];
  }
}

/** A VF's state as the PF's driver reports it. */
export interface VfState {
  readonly vf: number;
  readonly mac: string;
  /** 0 when untagged. */
  readonly vlan: number;
  readonly qos: number;
  readonly spoofchk: boolean | null;
  readonly trust: boolean | null;
  readonly linkState: LinkState | null;
  readonly minTxRate: number;
  readonly maxTxRate: number;
  readonly queryRss: boolean | null;
  /** The VF's traffic as the PF counts it (`ip -s`); null when ip printed none. */
  readonly stats: VfStats | null;
}

/**
 * A VF's counters as the PF reports them (IFLA_VF_STATS), from the VF's side: rx is what it
 * received (towards the guest), tx what it sent. The kernel fills zeros for a driver without
 * ndo_get_vf_stats; telling those from idle VFs is the driver table's job (vf-counters.ts).
 */
export interface VfStats {
  readonly rxBytes: number;
  readonly rxPackets: number;
  readonly txBytes: number;
  readonly txPackets: number;
  /** Received broadcasts; null where the counters come from a netdev, which has none. */
  readonly broadcast: number | null;
  readonly multicast: number;
  /** Kernels before 5.1 (IFLA_VF_STATS_RX_DROPPED) report no drops: null, not 0. */
  readonly rxDropped: number | null;
  readonly txDropped: number | null;
}

export interface PfLink {
  readonly ifname: string;
  readonly up: boolean;
  readonly vfs: readonly VfState[];
}

interface RawVf {
  vf: number;
  address?: string;
  mac?: string;
  vlan_list?: { vlan?: number; qos?: number }[];
  vlan?: number;
  qos?: number;
  rate?: { max_tx?: number; min_tx?: number };
  max_tx_rate?: number;
  min_tx_rate?: number;
  tx_rate?: number;
  spoofchk?: boolean;
  trust?: boolean;
  link_state?: string;
  query_rss_en?: boolean;
  // iproute2's print_vf_stats64: rx {bytes, packets, multicast, broadcast, dropped?}, tx {tx_bytes, tx_packets, dropped?}
  stats?: { rx?: Record<string, unknown>; tx?: Record<string, unknown> };
}

/** Parse the JSON of `ip -j link show dev PF`. `what` names the PF for errors. */
export function parsePfLink(json: string, what: string): PfLink {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new OperationError(`ip -j link show dev ${what} printed something that is not JSON`, 'check that iproute2 is installed and supports -j');
  }
  const link = Array.isArray(parsed) ? (parsed[0] as Record<string, unknown> | undefined) : undefined;
  if (!link || typeof link.ifname !== 'string') {
    throw new OperationError(`ip -j link show dev ${what} reported no link`, `check that ${what} exists: ip link show ${what}`);
  }
  const flags = Array.isArray(link.flags) ? (link.flags as string[]) : [];
  const vfs = Array.isArray(link.vfinfo_list) ? (link.vfinfo_list as RawVf[]).map(parseVf) : [];
  return { ifname: link.ifname, up: flags.includes('UP'), vfs };
}

function parseVf(raw: RawVf): VfState {
  // iproute2 >= 5.x prints vlan_list (one entry per tag; {} when untagged); older ones vlan/qos
  const tag = raw.vlan_list?.[0] ?? { vlan: raw.vlan, qos: raw.qos };
  const state = raw.link_state;
  return {
    vf: raw.vf,
    mac: (raw.address ?? raw.mac ?? '00:00:00:00:00:00').toLowerCase(),
    vlan: tag.vlan ?? 0,
    qos: tag.qos ?? 0,
    spoofchk: raw.spoofchk ?? null,
    trust: raw.trust ?? null,
    linkState: state === 'auto' || state === 'enable' || state === 'disable' ? state : null,
    minTxRate: raw.rate?.min_tx ?? raw.min_tx_rate ?? 0,
    maxTxRate: raw.rate?.max_tx ?? raw.max_tx_rate ?? raw.tx_rate ?? 0,
    queryRss: raw.query_rss_en ?? null,
    stats: parseStats(raw.stats),
  };
}

function parseStats(raw: RawVf['stats']): VfStats | null {
  if (!raw || typeof raw !== 'object') return null;
  const rx = raw.rx ?? {};
  const tx = raw.tx ?? {};
  // a u64 above 2^53 loses its last bits in JSON.parse: Prometheus keeps counters as float64 too
  const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
  const rxBytes = count(rx.bytes);
  const txBytes = count(tx.tx_bytes ?? tx.bytes);
  if (rxBytes === null || txBytes === null) return null;
  return {
    rxBytes,
    rxPackets: count(rx.packets) ?? 0,
    txBytes,
    txPackets: count(tx.tx_packets ?? tx.packets) ?? 0,
    broadcast: count(rx.broadcast) ?? 0,
    multicast: count(rx.multicast) ?? 0,
    rxDropped: count(rx.dropped),
    txDropped: count(tx.dropped),
  };
}
