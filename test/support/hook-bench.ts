/** Runs hooks in process against a fake host, with a config, state dir and log of their own. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHook, type HookName, type HookResult } from '../../src/hooks/run-hook.js';
import type { HookLogEntry } from '../../src/log/hook-log.js';
import { stateStore } from '../../src/state/state-store.js';
import type { VfRecord } from '../../src/state/vf-record.js';
import { FakeHost, type FakePfSpec } from './fake-host.js';

export class HookBench {
  /** The domains libvirt has defined, as the daemon hook reads them from /etc/libvirt/qemu. */
  domains: string[] = [];

  private constructor(readonly host: FakeHost, readonly dir: string, readonly configPath: string) {}

  static create(pfs: FakePfSpec[], config: Record<string, unknown> = {}): HookBench {
    const host = FakeHost.create(pfs);
    const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-hooks-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({
      logFile: join(dir, 'virt-sriov.log'), stateDir: join(dir, 'state'), sysfsRoot: host.sysRoot, ...config,
    }));
    return new HookBench(host, dir, configPath);
  }

  /** `argv` as libvirt passes it, e.g. "vm1 prepare begin -". */
  run(hook: HookName, argv: string, stdin = ''): Promise<HookResult> {
    return runHook(
      { hook, argv: argv.split(' '), readStdin: async () => stdin, configPath: this.configPath, loadOperations: () => import('../../src/hooks/operations.js') },
      { sysfs: this.host.sysfs, ip: this.host.ip, hostdevNetworks: () => new Set(['sriov']), definedDomains: () => this.domains },
    );
  }

  log(): HookLogEntry[] {
    const path = join(this.dir, 'virt-sriov.log');
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as HookLogEntry);
  }

  lastLog(): HookLogEntry {
    const all = this.log();
    return all[all.length - 1]!;
  }

  records(): VfRecord[] {
    return stateStore(join(this.dir, 'state')).all();
  }

  /** The ip invocations since the last call to this. */
  takeIpCalls(): { argv: string[]; batch?: string[] }[] {
    const calls = this.host.calls();
    this.host.clearCalls();
    return calls;
  }

  remove(): void {
    this.host.remove();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Put virt-sriov metadata entries into a captured domain XML (before its <memory>). */
export function withMetadata(domainXml: string, entries: string[]): string {
  const md = `  <metadata>\n    <sriov:vfs xmlns:sriov='http://virt-sriov.org/xmlns/domain/1.0'>\n${entries.map((e) => `      ${e}\n`).join('')}    </sriov:vfs>\n  </metadata>\n`;
  return domainXml.replace('  <memory ', `${md}  <memory `);
}
