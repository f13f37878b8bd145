/** Reading the hook log back for `virt-sriov logs`: filter and render. Pure. */
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
    try {
      out.push(JSON.parse(line) as HookLogEntry);
    } catch {
      // a line cut short by a full disk or a killed hook is skipped, not fatal
    }
  }
  return out;
}

export function filterLog(entries: readonly HookLogEntry[], f: LogFilter): HookLogEntry[] {
  return entries.filter((e) => (!f.domain || e.object === f.domain) && (!f.since || new Date(e.time) >= f.since));
}

/** `2026-11-24T10:00:00Z`, `2026-11-24`, or a span back from now: `30m`, `2h`, `1d`. */
export function parseSince(text: string, now = new Date()): Date {
  const span = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (span) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[span[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(span[1]) * unit);
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new InputError(`--since '${text}' is not a time`, 'give an ISO time (2026-11-24T10:00) or a span back from now (30m, 2h, 1d)');
  return d;
}

/** One readable line per call, then one indented line per VF change and note. */
export function renderEntry(e: HookLogEntry): string {
  const head = [e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), `${e.hook} ${e.op}`.padEnd(20), e.object.padEnd(16), e.result.padEnd(8), `${e.durationMs} ms`].join('  ');
  const lines = [head];
  for (const c of e.changes) lines.push(`    ${c.pf} vf ${c.vf} (${c.pci}): ${c.setting} ${c.from} -> ${c.to}`);
  for (const n of e.notes) lines.push(`    note: ${n}`);
  if (e.error) lines.push(...e.error.split('\n').map((l) => (l.trim().startsWith('fix:') ? `      ${l.trim()}` : `    error: ${l.trim()}`)));
  return lines.join('\n');
}
