/**
 * Who holds which VF: every defined domain that names it (running or not) and every guest the
 * hooks track (a network-style guest's VF exists only while it runs). Pure, over XML texts.
 */
import { formatPciAddress } from '../model/pci-address.js';
import { holds, type VfRecord } from '../state/vf-record.js';
import { scanPciSources, type ScannedPciSource } from '../xml/device-scan.js';

export interface DomainDefinition {
  readonly name: string;
  readonly running: boolean;
  /** The persistent XML, and the live one for a running domain. */
  readonly xml: readonly string[];
}

export interface VfHolder {
  readonly domain: string;
  readonly running: boolean;
  /** The guest's NIC on the VF, as the admin knows it: its MAC (interface or hook record) and alias. */
  readonly mac: string | null;
  readonly alias: string | null;
}

export function vfHolders(domains: readonly DomainDefinition[], records: readonly VfRecord[] = []): Map<string, VfHolder> {
  const holders = new Map<string, VfHolder>();
  const take = taker(holders);
  for (const d of domains) {
    for (const text of d.xml) {
      let sources: ScannedPciSource[] = [];
      try {
        // a scan, not a DOM: `status` reads every domain's XML, twice for a running one
        sources = scanPciSources(text);
      } catch {
        continue; // a domain we can't read holds nothing we can see
      }
      for (const s of sources) take(formatPciAddress(s.address), { domain: d.name, running: d.running, mac: s.mac, alias: s.alias });
    }
  }
  takeRecords(take, records);
  return holders;
}

/** Who holds which VF by the hooks' records alone: what a hook knows (it can't ask libvirt). */
export function recordHolders(records: readonly VfRecord[]): Map<string, VfHolder> {
  const holders = new Map<string, VfHolder>();
  takeRecords(taker(holders), records);
  return holders;
}

function taker(holders: Map<string, VfHolder>): (pci: string, h: VfHolder) => void {
  return (pci, h) => {
    const had = holders.get(pci);
    if (!had || (h.running && !had.running)) holders.set(pci, h);
    // the same guest seen again (its live XML, its record): keep what the first sighting lacked
    else if (had.domain === h.domain) holders.set(pci, { ...had, mac: had.mac ?? h.mac, alias: had.alias ?? h.alias });
  };
}

function takeRecords(take: (pci: string, h: VfHolder) => void, records: readonly VfRecord[]): void {
  for (const r of records) if (holds(r)) take(r.pci, { domain: r.owner.name, running: true, mac: r.guest.mac ?? null, alias: null });
}

/** Every MAC the domains use, so a generated one is unique on the host. */
export function macsInUse(domains: readonly DomainDefinition[]): Set<string> {
  const macs = new Set<string>();
  for (const d of domains) {
    for (const text of d.xml) {
      for (const m of text.matchAll(/<mac\s+address=['"]([0-9a-fA-F:]{17})['"]/g)) macs.add(m[1]!.toLowerCase());
      for (const m of text.matchAll(/\bmac=['"]([0-9a-fA-F:]{17})['"]/g)) macs.add(m[1]!.toLowerCase());
    }
  }
  return macs;
}
