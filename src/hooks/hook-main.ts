/** What an installed hook file runs: libvirt's argv and stdin in, exit code and output out. */
import { existsSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bakedConfigPath, unsafeFile } from '../config/config.js';
import { loadBundle, type LoadedBundle } from '../runtime/code-cache.js';
import { runHook, type HookName } from './run-hook.js';

declare const VIRT_SRIOV_OPERATIONS_MARKER: string | undefined;

/**
 * Where the operations bundle is: baked in by install.sh like the config path, else beside
 * the hook file (dist/hooks/ in the source tree).
 */
export function operationsPath(): string {
  const marker = typeof VIRT_SRIOV_OPERATIONS_MARKER === 'string' ? VIRT_SRIOV_OPERATIONS_MARKER : '';
  return marker.split('=')[1] || join(dirname(process.argv[1] ?? '.'), 'operations.cjs');
}

export async function hookMain(hook: HookName): Promise<void> {
  const argv = process.argv.slice(2);
  let stdin: string | undefined;
  // a hook file others can write is code anyone could run as root: refused as a bad config is
  // (operations that may fail fail with the message, the others log it)
  const unsafe = unsafeHookFile(process.argv[1]);
  const readStdin = async () => {
    if (unsafe) throw unsafe;
    return (stdin ??= await readAllStdin());
  };
  const chained = `${process.argv[1]}.before-virt-sriov`;
  if (!unsafe && existsSync(chained)) {
    // libvirt < 6.5 runs one hook per driver: the one we replaced runs first, as it did before
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(chained, argv, { input: await readStdin(), encoding: 'utf8' });
    if (r.stderr) process.stderr.write(r.stderr);
    if (r.status !== 0) {
      process.exitCode = r.status ?? 1;
      return;
    }
    // migrate/restore: the XML it printed is what we work on
    if (r.stdout.trim()) stdin = r.stdout;
  }
  type Operations = typeof import('./operations.js');
  let operations: LoadedBundle<Operations> | undefined;
  const result = await runHook({
    hook, argv, readStdin, configPath: bakedConfigPath(),
    // one code cache per operation: each holds what that operation compiles
    loadOperations: async () => (operations = loadBundle<Operations>(operationsPath(), `${hook}-${argv[1] ?? ''}`)).exports,
  });
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
  // after the work, so the cache has what it compiled (only when it was missing or stale)
  if (result.exitCode === 0) operations?.saveCache();
}

function unsafeHookFile(file: string | undefined) {
  if (!file) return null;
  try {
    return unsafeFile(`hook file ${file}`, file, statSync(file));
  } catch {
    return null; // not a file we can look at (node -e, a test): nothing to judge
  }
}

/**
 * All of stdin, read directly: cheaper to start than process.stdin's stream. fd 0 may be
 * non-blocking (whoever set it up, or a library that touched process.stdin), so EAGAIN means
 * "libvirt has not written the rest yet": wait a moment and read on.
 */
async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}
