/** What `ip -j link show dev PF` says about a PF and its VFs (iproute2's vfinfo_list). */
import { OperationError } from '../errors.js';
import type { LinkState } from '../model/vf-settings.js';

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
  };
}
