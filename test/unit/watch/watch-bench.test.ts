/**
 * The benchmark's watcher row (bench/lib/watch-bench.ts, row 8) measures what it says: each
 * timed event ends with the VF carrying every setting its guest asked for, else it throws. No
 * time is asserted here (speed is `npm run bench`'s); the figures are only counted.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureWatch } from '../../../bench/lib/watch-bench.js';

describe('row 8: event to settled VF', () => {
  test('a hot-plugged VF and a drifted one, each event timed once the VF settled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-watch-bench-'));
    try {
      const cases = await measureWatch(3, dir, resolve('.'));
      expect(cases.map((c) => c.label)).toEqual([
        expect.stringMatching(/^hot-plugged VF/), expect.stringMatching(/^held VF whose VLAN and trust a driver reset wiped/),
      ]);
      for (const c of cases) expect(c.samples).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
