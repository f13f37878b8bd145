/** Constructors for check results, so each check reads as its decision. */
import type { Check } from '../facts.js';

export const ok = (id: string, summary: string): Check => ({ id, status: 'ok', summary, fix: null });
export const warn = (id: string, summary: string, fix: string | null): Check => ({ id, status: 'warn', summary, fix });
export const fail = (id: string, summary: string, fix: string): Check => ({ id, status: 'fail', summary, fix });

/** "a, b and c". */
export function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
