/**
 * What node runs for a hook call: libvirt's argv and stdin in, exit code and output out. The
 * installed hook file is the shell entry (entry-script.ts), which answers the calls with nothing
 * to do and execs this for the others, naming itself in VIRT_SRIOV_HOOK_FILE; run as the hook
 * file itself (tests, an older install), it is its own hook file.
 */
import { existsSync, mkdirSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bakedConfigPath, DEFAULT_CONFIG_PATH, readConfig, unsafeFile } from '../config/config.js';
import type { InputError } from '../errors.js';
import { loadBundle, type LoadedBundle } from '../runtime/code-cache.js';
import { configFacts, FACTS_FILE, validatedConfigText } from './entry-facts.js';
import { runHook, type HookName } from './run-hook.js';
import { operationRule } from './triage.js';

declare const VIRT_SRIOV_OPERATIONS_MARKER: string | undefined;
declare const VIRT_SRIOV_VERSION: string | undefined;

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
  const entry = process.env.VIRT_SRIOV_HOOK_FILE || process.argv[1];
  let stdin: string | undefined;
  // a hook file others can write is code anyone could run as root: refused as a bad config is
  // (operations that may fail fail with the message, the others log it); the shell entry and
  // the node code it starts are both that
  const unsafe = unsafeHookFile(entry) ?? (entry !== process.argv[1] ? unsafeHookFile(process.argv[1]) : null);
  const readStdin = async () => {
    if (unsafe) throw unsafe;
    return (stdin ??= await readAllStdin());
  };
  const chained = `${entry}.before-virt-sriov`;
  if (!unsafe && existsSync(chained)) {
    // libvirt < 6.5 runs one hook per driver: the one we replaced runs first, as it did before
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(chained, argv, { input: await readStdin(), encoding: 'utf8' });
    if (r.stderr) process.stderr.write(r.stderr);
    if (r.status !== 0) {
      process.exitCode = r.status ?? 1;
      return;
    }
    // libvirt takes a hook's output as the domain XML for migrate and restore only: there, what
    // it printed is what we work on (and hand back); elsewhere its output goes nowhere
    if (operationRule(hook, argv[1] ?? '')?.echoesXml && r.stdout.trim()) stdin = r.stdout;
  }
  type Operations = typeof import('./operations.js');
  let operations: LoadedBundle<Operations> | undefined;
  const result = await runHook({
    hook, argv, readStdin, configPath: bakedConfigPath(),
    // a text validated before (the facts the shell entry answers with) is not validated again
    loadConfig: (path) => readConfig(path, validatedConfigText(factsFile(), version(), path ?? DEFAULT_CONFIG_PATH)).config,
    // one code cache per operation: each holds what that operation compiles
    loadOperations: async () => (operations = loadBundle<Operations>(operationsPath(), `${hook}-${argv[1] ?? ''}`)).exports,
  });
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
  // after the work, so the cache has what it compiled (only when it was missing or stale)
  if (result.exitCode === 0) operations?.saveCache();
  if (process.env.VIRT_SRIOV_HOOK_FILE) updateEntryFacts(unsafe);
}

/**
 * The facts the shell entry answers calls with (entry-script.ts): written again when the entry
 * found them stale, withdrawn when a file it can't judge without a process fails node's checks
 * (a chmod changes no text the entry compares). Never fails a call: without facts, the entry
 * hands every call to node.
 */
function updateEntryFacts(unsafe: InputError | null): void {
  const file = factsFile();
  try {
    const configPath = bakedConfigPath() ?? DEFAULT_CONFIG_PATH;
    // each call: the modes (cheap); only when stale: the config validated again (~2 ms)
    const text = unsafe || unsafeFile('config', configPath, statSync(configPath)) ? null
      : !process.env.VIRT_SRIOV_FACTS_STALE ? undefined : factsOf(readConfig(configPath));
    if (text === null) {
      rmSync(file, { force: true });
    } else if (text !== undefined) {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, file);
    }
  } catch {
    try {
      rmSync(file, { force: true });
    } catch {
      // nothing more to do: the entry then finds no facts it can trust
    }
  }
}

const factsFile = () => join(dirname(operationsPath()), FACTS_FILE);
const version = () => (typeof VIRT_SRIOV_VERSION === 'string' ? VIRT_SRIOV_VERSION : '0.0.0-dev');

function factsOf({ config, text }: ReturnType<typeof readConfig>): string | null {
  if (text === null || config.path === null) return null;
  return configFacts(version(), { configPath: config.path, text, logFile: config.logFile, stateDir: config.stateDir, pfsConfigured: Object.keys(config.pfs).length > 0 });
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
