/**
 * Rates from two readings of the VF counters, per VF and per guest, for `top`. Pure. A counter
 * that went down was reset (VFs re-created, the driver reloaded): as Prometheus's rate() does,
 * what it counted since the reset is its new value, so no rate is ever negative. A VF whose
 * counters changed source (its netdev's, then the PF's) has no rate for that interval.
 */
import type { HostModel } from '../host/host-model.js';
import type { VfHolder } from '../pool/vf-holders.js';
import { trafficOwner, vfCounters, type VfCounters } from './vf-counters.js';

/** One VF in one reading: who it is, who holds it, and its counters (null: nothing counts it). */
export interface VfReading {
  readonly pf: string;
  readonly vf: number;
  readonly pci: string;
  /** The running guest that holds it, and its NIC's alias or MAC; null when no guest does. */
  readonly domain: string | null;
  readonly nic: string | null;
  readonly counters: VfCounters | null;
}

export interface Rates {
  /** Bytes per second. */
  readonly rxBytes: number;
  readonly txBytes: number;
  /** Packets per second. */
  readonly rxPackets: number;
  readonly txPackets: number;
  /** Drops (received and sent) per second; null when the counters have none. */
  readonly drops: number | null;
}

export interface VfRates extends Omit<VfReading, 'counters'> {
  /** null: no counters, or none to compare with yet. */
  readonly rates: Rates | null;
}

export interface GuestRates {
  readonly domain: string;
  readonly vfs: number;
  /** Summed over the guest's VFs that have rates; null when none has. */
  readonly rates: Rates | null;
}

/** Every VF of the host as `top` follows it. */
export function vfReadings(host: HostModel, holders: ReadonlyMap<string, VfHolder>): VfReading[] {
  return host.pfs.flatMap((pf) => pf.vfs.map((vf) => {
    const guest = trafficOwner(holders, vf.pci);
    return { pf: pf.name, vf: vf.vf, pci: vf.pci, domain: guest?.domain ?? null, nic: guest ? guest.alias ?? guest.mac : null, counters: vfCounters(pf, vf) };
  }));
}

/** What a counter counted between two readings, a reset read as a start from zero. */
function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

function drops(c: VfCounters): number | null {
  return c.rxDropped === null && c.txDropped === null ? null : (c.rxDropped ?? 0) + (c.txDropped ?? 0);
}

export function vfRates(before: readonly VfReading[], after: readonly VfReading[], seconds: number): VfRates[] {
  const earlier = new Map(before.map((r) => [r.pci, r]));
  return after.map(({ counters, ...vf }) => {
    const was = earlier.get(vf.pci)?.counters;
    if (!counters || !was || was.source !== counters.source || !(seconds > 0)) return { ...vf, rates: null };
    const per = (b: number, a: number) => increase(b, a) / seconds;
    const d0 = drops(was);
    const d1 = drops(counters);
    return {
      ...vf,
      rates: {
        rxBytes: per(was.rxBytes, counters.rxBytes), txBytes: per(was.txBytes, counters.txBytes),
        rxPackets: per(was.rxPackets, counters.rxPackets), txPackets: per(was.txPackets, counters.txPackets),
        drops: d0 === null || d1 === null ? null : per(d0, d1),
      },
    };
  });
}

/** Each running guest's VFs added up. */
export function guestRates(vfs: readonly VfRates[]): GuestRates[] {
  const guests = new Map<string, { vfs: number; rates: Rates | null }>();
  for (const v of vfs) {
    if (v.domain === null) continue;
    const g = guests.get(v.domain) ?? { vfs: 0, rates: null };
    g.vfs++;
    if (v.rates) g.rates = g.rates ? addRates(g.rates, v.rates) : v.rates;
    guests.set(v.domain, g);
  }
  return [...guests.entries()].map(([domain, g]) => ({ domain, ...g }));
}

function addRates(a: Rates, b: Rates): Rates {
  return {
    rxBytes: a.rxBytes + b.rxBytes, txBytes: a.txBytes + b.txBytes, rxPackets: a.rxPackets + b.rxPackets, txPackets: a.txPackets + b.txPackets,
    drops: a.drops === null && b.drops === null ? null : (a.drops ?? 0) + (b.drops ?? 0),
  };
}

/** Busiest first: bytes both ways; what has no rate last, then by name so the order holds still. */
export function byTraffic<T extends { rates: Rates | null }>(rows: readonly T[], name: (r: T) => string): T[] {
  const load = (r: T) => (r.rates ? r.rates.rxBytes + r.rates.txBytes : -1);
  return [...rows].sort((a, b) => load(b) - load(a) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}
