/**
 * Load a CommonJS bundle through V8's code cache. Compiling a 500 KB bundle is most of what a
 * hook or the CLI costs on top of node's own start-up, and node 20 keeps no compile cache of
 * its own (module.enableCompileCache came in node 22). So the bundle is compiled with the
 * code V8 serialized after an earlier run of the same kind (one cache per command or hook
 * operation, in `.cache/` beside the bundle: each holds what that call compiles, and a
 * `--version` doesn't leave `convert` compiling its functions every time): keyed by the
 * bundle file's identity as git's index keys a file (device, inode, size, mtime and ctime in
 * nanoseconds: any write changes ctime, which no one can set back) and node's version, since
 * V8 itself checks only the text's length; trusted only when root or the caller owns it and no
 * one else can write it (it is code); written again, atomically, when missing or stale.
 * Nothing here ever fails a call: without a cache the bundle compiles as a plain require would.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { readTrustedFile } from '../host/trusted-file.js';

export interface LoadedBundle<T> {
  readonly exports: T;
  /** True when the bundle was compiled from its cache. */
  readonly fromCache: boolean;
  /**
   * Write the cache when there was none or it was stale. Call it after work that succeeded:
   * the cache then holds the functions that work compiled too, not only the bundle's top level.
   */
  saveCache(): void;
}

/** Where `file`'s cache for calls of kind `kind` ("status", "qemu-start") is. */
export function cachePath(file: string, kind: string): string {
  return join(dirname(file), '.cache', `${basename(file)}.${kind.replace(/[^a-z0-9-]/gi, '_')}`);
}

export function loadBundle<T>(file: string, kind = 'default'): LoadedBundle<T> {
  const { text, key } = readBundle(file);
  const cacheFile = cachePath(file, kind);
  const cached = readCache(cacheFile, key);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${text}\n})`, { filename: file, ...(cached ? { cachedData: cached } : {}) });
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)
    .call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  const fromCache = cached !== undefined && !script.cachedDataRejected;
  let saved = fromCache;
  return {
    exports: module.exports,
    fromCache,
    saveCache() {
      if (saved) return;
      saved = true;
      writeCache(cacheFile, key, script.createCachedData());
    },
  };
}

function readBundle(file: string): { text: string; key: Buffer } {
  const fd = openSync(file, 'r');
  try {
    // hashing the text would be as sure, but node:crypto alone costs a hook ~4 ms to load
    const st = fstatSync(fd, { bigint: true });
    const key = Buffer.alloc(KEY_BYTES);
    key.write(`${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${process.version}:${process.arch}`.slice(0, KEY_BYTES));
    return { text: readFileSync(fd, 'utf8'), key };
  } finally {
    closeSync(fd);
  }
}
const KEY_BYTES = 128;
/** The key, then the length of V8's data. */
const HEADER_BYTES = KEY_BYTES + 4;

function readCache(cacheFile: string, key: Buffer): Buffer | undefined {
  // compiled code: trusted as the config and the hooks are (host/trusted-file.ts)
  const data = readTrustedFile(cacheFile);
  // V8 checks its data's magic and length, not its bytes: the file must be whole and ours
  const whole = data !== undefined && data.length > HEADER_BYTES && data.readUInt32LE(KEY_BYTES) === data.length - HEADER_BYTES;
  return whole && data.subarray(0, KEY_BYTES).equals(key) ? data.subarray(HEADER_BYTES) : undefined;
}

function writeCache(cacheFile: string, key: Buffer, data: Buffer): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o755 });
    // many hooks may start at once: each writes its own file, the last rename wins whole
    const length = Buffer.alloc(4);
    length.writeUInt32LE(data.length);
    writeFileSync(tmp, Buffer.concat([key, length, data]), { mode: 0o644 });
    renameSync(tmp, cacheFile);
  } catch {
    // a read-only install, or a user who can't write there: the next call compiles again
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
  }
}
