/** Reading the hook log back for `virt-sriov logs`: filter and render. Pure. */
import ms from 'ms';
import { InputError } from '../errors.js';
import type { HookLogEntry } from './hook-log.js';

export interface LogFilter {
  readonly domain?: string;
  readonly since?: Date;
}

export function parseLogLines(text: string): HookLogEntry[] {
  const out: HookLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a line cut short by a full disk or a killed hook is skipped, not fatal
    }
    // so is one that is JSON but no entry (hand-edited, another tool's)
    const o = e as Partial<HookLogEntry> | null;
    if (o && typeof o === 'object' && typeof o.hook === 'string' && typeof o.op === 'string' && typeof o.time === 'string') out.push(o as HookLogEntry);
  }
  return out;
}

export function filterLog(entries: readonly HookLogEntry[], f: LogFilter): HookLogEntry[] {
  return entries.filter((e) => (!f.domain || e.object === f.domain) && (!f.since || new Date(e.time) >= f.since));
}

/** An ISO 8601 date, or date and time (UTC, or with its offset): what `new Date` reads as written. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * `2026-11-24T10:00:00Z`, `2026-11-24`, or a span back from now (`ms` reads it: `30m`, `2h`,
 * `1d`, `1.5h`, `2 days`, `1w`). A bare number, or any other text `new Date` would guess at
 * (`1` is the year 2001), is refused.
 */
export function parseSince(text: string, now = new Date()): Date {
  const t = text.trim();
  const span = /^\d/.test(t) && /[a-z]$/i.test(t) ? ms(t as ms.StringValue) : undefined;
  if (span !== undefined && Number.isFinite(span) && span >= 0) return new Date(now.getTime() - span);
  const d = ISO_TIME.test(t) ? new Date(t.replace(' ', 'T')) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new InputError(`--since '${text}' is not a time`, 'give an ISO time (2026-11-24T10:00) or a span back from now with its unit (30m, 2h, 1d)');
  return d;
}

/** One readable line per call, then one indented line per VF change and note. */
export function renderEntry(e: HookLogEntry): string {
  // the watcher's operation is a fixed word; what varies (the PF that came back) is its subop
  const what = e.hook === 'watch' && e.subop !== 'live' ? `${e.hook} ${e.op} ${e.subop}` : `${e.hook} ${e.op}`;
  const head = [e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), what.padEnd(20), e.object.padEnd(16), e.result.padEnd(8), `${e.durationMs} ms`].join('  ')
    + (e.replay ? '  (replay: virt-sriov hook)' : '');
  const lines = [head];
  for (const c of e.changes) lines.push(`    ${c.pf} vf ${c.vf} (${c.pci}): ${c.setting} ${c.from} -> ${c.to}`);
  for (const n of e.notes) lines.push(`    note: ${n}`);
  if (e.error) lines.push(...e.error.split('\n').map((l) => (l.trim().startsWith('fix:') ? `      ${l.trim()}` : `    error: ${l.trim()}`)));
  return lines.join('\n');
}
