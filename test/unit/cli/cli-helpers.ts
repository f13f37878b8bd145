/** Running the CLI in process, with captured output, against a fake host. */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/program.js';
import { FakeHost } from '../../support/fake-host.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `terminal`: stdin is a terminal (nothing piped in); `stdoutRows`: stdout is a terminal this high. */
export async function cli(argv: string[], stdin = '', { terminal = false, stdoutRows = null as number | null } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    readStdin: async () => stdin,
    stdinIsTerminal: () => terminal,
    stdoutTerminalRows: () => stdoutRows,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** A config file for the fake host, in its temp dir. */
export function writeConfig(host: FakeHost, config: Record<string, unknown>): string {
  const path = join(host.root, 'config.json');
  // state and log under the fake host too: never the machine's /run/virt-sriov, which other
  // tests running at the same time (and the machine's own hooks) use
  writeFileSync(path, JSON.stringify({
    sysfsRoot: host.sysRoot, stateDir: join(host.root, 'state'), logFile: join(host.root, 'virt-sriov.log'), ...config,
  }));
  return path;
}

/** Bundle test/support/fake-ip-cli.ts into a temp dir, so a config can run it as `ip`. */
export async function bundleFakeIp(): Promise<{ file: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-fake-ip-'));
  const file = join(dir, 'fake-ip.mjs');
  await build({
    entryPoints: [new URL('../../support/fake-ip-cli.ts', import.meta.url).pathname],
    outfile: file, bundle: true, platform: 'node', format: 'esm', target: 'node18', logLevel: 'error',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A suite's fake `ip`, bundled once (bundleFakeIp), and its fake hosts, each removed after its
 * test. Call at the top of a test file.
 */
export function useFakeIp(): {
  /** FakeHost.create, removed after the test. */
  host(...args: Parameters<typeof FakeHost.create>): FakeHost;
  /** writeConfig, with this fake ip as the host's ip command (unless `config` names another). */
  config(host: FakeHost, config?: Record<string, unknown>): string;
  /** The bundled fake ip, for a command that wraps it. */
  ipFile(): string;
} {
  let ip: Awaited<ReturnType<typeof bundleFakeIp>> | undefined;
  const hosts: FakeHost[] = [];
  beforeAll(async () => {
    ip = await bundleFakeIp();
  }, 30_000);
  afterAll(() => ip?.remove());
  afterEach(() => {
    for (const h of hosts.splice(0)) h.remove();
  });
  return {
    host(...args) {
      const h = FakeHost.create(...args);
      hosts.push(h);
      return h;
    },
    config: (host, config = {}) => writeConfig(host, { ipCommand: host.ipCommand(ip!.file), ...config }),
    ipFile: () => ip!.file,
  };
}
