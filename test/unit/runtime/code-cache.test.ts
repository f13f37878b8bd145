import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachePath, loadBundle } from '../../../src/runtime/code-cache.js';

type Answer = { answer: () => string; dir: string; file: string };
let dir: string;
let bundle: string;
const source = (word: string) => `exports.answer = function answer() { return ${JSON.stringify(word)}; };\nexports.dir = __dirname; exports.file = __filename;\nexports.path = require('node:path').sep;\n`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'code-cache-'));
  bundle = join(dir, 'b.cjs');
  writeFileSync(bundle, source('one'));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe('loadBundle', () => {
  test('runs the bundle as CommonJS (exports, require, __filename) and keeps its code cache beside it', () => {
    const first = loadBundle<Answer>(bundle);
    expect(first.exports.answer()).toBe('one');
    expect(first.exports).toMatchObject({ dir, file: bundle, path: '/' });
    expect(first.fromCache).toBe(false);
    first.saveCache();
    expect(existsSync(cachePath(bundle, 'default'))).toBe(true);
    const second = loadBundle<Answer>(bundle);
    expect(second.fromCache).toBe(true);
    expect(second.exports.answer()).toBe('one');
  });

  test('a bundle replaced by one of the same length never runs from the old cache (V8 checks only the length)', () => {
    const first = loadBundle<Answer>(bundle);
    first.saveCache();
    writeFileSync(bundle, source('two'));
    const later = loadBundle<Answer>(bundle);
    expect(later.exports.answer()).toBe('two');
    expect(later.fromCache).toBe(false);
  });

  test('a bundle rewritten in place with the same size and mtime is still compiled from its text when the cache is stale', () => {
    loadBundle<Answer>(bundle).saveCache();
    const { mtime } = { mtime: new Date('2020-01-01T00:00:00Z') };
    utimesSync(bundle, mtime, mtime);
    writeFileSync(bundle, source('two'));
    utimesSync(bundle, mtime, mtime);
    // size, mtime and inode are the stale cache's: what runs must still be the new text
    expect(loadBundle<Answer>(bundle).exports.answer()).toBe('two');
  });

  test('a cache others can write is not trusted: the bundle compiles from its text', () => {
    loadBundle<Answer>(bundle).saveCache();
    chmodSync(cachePath(bundle, 'default'), 0o666);
    expect(loadBundle<Answer>(bundle).fromCache).toBe(false);
  });

  test('a cache cut short is not used, and is written whole again on save', () => {
    loadBundle<Answer>(bundle).saveCache();
    const data = readFileSync(cachePath(bundle, 'default'));
    writeFileSync(cachePath(bundle, 'default'), data.subarray(0, data.length - 100));
    const cut = loadBundle<Answer>(bundle);
    expect(cut.exports.answer()).toBe('one');
    expect(cut.fromCache).toBe(false);
    cut.saveCache();
    // whole, and with the functions this run compiled (answer) as well as the top level
    expect(readFileSync(cachePath(bundle, 'default')).length).toBeGreaterThan(data.length);
    expect(loadBundle<Answer>(bundle).fromCache).toBe(true);
  });

  test('a directory it cannot write: saving the cache fails quietly and leaves nothing behind', () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: a file in the cache's place that is a directory stands in for it
      const blocked = join(dir, 'c.cjs');
      writeFileSync(blocked, source('three'));
      const cache = cachePath(blocked, 'default');
      mkdirSync(cache, { recursive: true });
      const loaded = loadBundle<Answer>(blocked);
      expect(() => loaded.saveCache()).not.toThrow();
      expect(loaded.exports.answer()).toBe('three');
      return;
    }
    chmodSync(dir, 0o555);
    const loaded = loadBundle<Answer>(bundle);
    expect(() => loaded.saveCache()).not.toThrow();
    expect(existsSync(cachePath(bundle, 'default'))).toBe(false);
  });

  test('each kind of call keeps a cache of its own', () => {
    loadBundle<Answer>(bundle, 'status').saveCache();
    expect(loadBundle<Answer>(bundle, 'status').fromCache).toBe(true);
    expect(loadBundle<Answer>(bundle, 'convert').fromCache).toBe(false);
    expect(cachePath(bundle, '../x')).toBe(join(dir, '.cache', 'b.cjs.___x'));
  });
});
