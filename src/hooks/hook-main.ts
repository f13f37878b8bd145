/** What an installed hook file runs: libvirt's argv and stdin in, exit code and output out. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH } from '../config/config.js';
import { runHook, type HookName } from './run-hook.js';

declare const VIRT_SRIOV_CONFIG_MARKER: string | undefined;

/**
 * install.sh writes the config path into the installed hook (libvirt gives hooks almost no
 * environment, so it can't come from there): the marker holds "VIRT_SRIOV_CONFIG_PATH=<path>".
 */
export function bakedConfigPath(): string | undefined {
  const marker = typeof VIRT_SRIOV_CONFIG_MARKER === 'string' ? VIRT_SRIOV_CONFIG_MARKER : '';
  const path = marker.split('=')[1];
  // the default path may be absent (defaults apply); a path baked in on purpose must exist
  return path && path !== DEFAULT_CONFIG_PATH ? path : undefined;
}

export async function hookMain(hook: HookName): Promise<void> {
  const argv = process.argv.slice(2);
  let stdin: string | undefined;
  const readStdin = async () => (stdin ??= await readAllStdin());
  const chained = `${process.argv[1]}.before-virt-sriov`;
  if (existsSync(chained)) {
    // libvirt < 6.5 runs one hook per driver: the one we replaced runs first, as it did before
    const r = spawnSync(chained, argv, { input: await readStdin(), encoding: 'utf8' });
    if (r.stderr) process.stderr.write(r.stderr);
    if (r.status !== 0) {
      process.exitCode = r.status ?? 1;
      return;
    }
    // migrate/restore: the XML it printed is what we work on
    if (r.stdout.trim()) stdin = r.stdout;
  }
  const result = await runHook({ hook, argv, readStdin, configPath: bakedConfigPath() });
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}

/**
 * All of stdin, through process.stdin: execa touches process.stdin when it is loaded, which makes
 * fd 0 non-blocking, so readFileSync(0) fails with EAGAIN whenever libvirt has not written the
 * whole XML yet (a loaded host, or an XML larger than the pipe's buffer).
 */
async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
