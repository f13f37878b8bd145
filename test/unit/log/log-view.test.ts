import { describe, expect, test } from '@jest/globals';
import type { HookLogEntry } from '../../../src/log/hook-log.js';
import { parseSince, renderEntry } from '../../../src/log/log-view.js';

const NOW = new Date('2026-11-24T12:00:00Z');

describe('logs --since', () => {
  test.each([
    ['30m', '2026-11-24T11:30:00.000Z'], ['2h', '2026-11-24T10:00:00.000Z'], ['1d', '2026-11-23T12:00:00.000Z'],
    ['1.5h', '2026-11-24T10:30:00.000Z'], ['2 days', '2026-11-22T12:00:00.000Z'], ['1w', '2026-11-17T12:00:00.000Z'], ['10s', '2026-11-24T11:59:50.000Z'],
  ])('a span back from now: %s', (text, at) => {
    expect(parseSince(text, NOW).toISOString()).toBe(at);
  });

  test.each([
    ['2026-11-24T10:00:00Z', '2026-11-24T10:00:00.000Z'], ['2026-11-24', '2026-11-24T00:00:00.000Z'], ['2026-11-24T10:00:00.250+02:00', '2026-11-24T08:00:00.250Z'],
  ])('an ISO time: %s', (text, at) => {
    expect(parseSince(text, NOW).toISOString()).toBe(at);
  });

  test.each(['1', '2001', '30', 'yesterday', 'Tue Nov 24 2026', '11/24/2026', '2h ago', '-2h', '', 'NaN', '2026-13-45'])('%j is refused, not guessed at', (text) => {
    expect(() => parseSince(text, NOW)).toThrow(`--since '${text}' is not a time`);
  });
});

describe('logs: one line per call', () => {
  const entry = (e: Partial<HookLogEntry>): HookLogEntry => ({
    time: '2026-12-06T05:00:00.123Z', hook: 'watch', op: 'pf-up', subop: 'ens1f0', object: 'fw1', result: 'ok', durationMs: 12, vfs: [], changes: [], notes: [], ...e,
  });

  test('the watcher\'s look after a PF came back names the PF (its subop), the operation staying one word for the metrics', () => {
    expect(renderEntry(entry({})).split('\n')[0]).toBe('2026-12-06 05:00:00Z  watch pf-up ens1f0    fw1               ok        12 ms');
    expect(renderEntry(entry({ op: 'device-added', subop: 'live' })).split('\n')[0]).toBe('2026-12-06 05:00:00Z  watch device-added    fw1               ok        12 ms');
  });
});
