/**
 * What the hooks' operations bundle gets for `xmlbuilder2` (scripts/build.mjs puts it in that
 * import's place): the library in a bundle of its own beside it (xmlbuilder2.cjs), loaded
 * through the code cache on first use. Only migrate and restore edit a domain's XML, so every
 * other hook call neither loads nor deserializes 300 KB it would not run (~9 ms a call).
 */
import { join } from 'node:path';
import type * as Xmlbuilder2 from 'xmlbuilder2';
import { loadBundle, type LoadedBundle } from './code-cache.js';

/** The bundle's directory: this module only ever runs inside a CommonJS bundle. */
declare const __dirname: string;

let lib: LoadedBundle<typeof Xmlbuilder2> | undefined;

export const create = ((...args: unknown[]) => {
  const first = lib === undefined;
  lib ??= loadBundle<typeof Xmlbuilder2>(join(__dirname, 'xmlbuilder2.cjs'));
  const built = (lib.exports.create as (...a: unknown[]) => unknown)(...args);
  // after one document: the cache then holds the parser, not only the library's top level
  if (first) lib.saveCache();
  return built;
}) as typeof Xmlbuilder2.create;
