/** What the hook integration tests share: the project's files, domain XML, config and log. */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HookLogEntry } from '../../../src/log/hook-log.js';
import type { FakeHost } from '../../support/fake-host.js';
import type { FakeHostBundles } from '../../support/fake-host-processes.js';
import type { PrivateLibvirtd } from '../support/private-libvirtd.js';

export const PROJECT = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');
export const DIST = {
  cli: join(PROJECT, 'dist/virt-sriov.mjs'),
  qemu: join(PROJECT, 'dist/hooks/qemu.cjs'),
  network: join(PROJECT, 'dist/hooks/network.cjs'),
  daemon: join(PROJECT, 'dist/hooks/daemon.cjs'),
};

/** The built files these tests run: they come from `npm run build` (npm test runs it first). */
export function requireBuild(): void {
  const missing = Object.values(DIST).filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: run \`npm run build\` first`);
}

export const SRIOV_NS = 'http://virt-sriov.org/xmlns/domain/1.0';

function pciAttributes(pci: string): string {
  const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(pci);
  if (!m) throw new Error(`not a PCI address: ${pci}`);
  return `domain='0x${m[1]}' bus='0x${m[2]}' slot='0x${m[3]}' function='0x${m[4]}'`;
}

export interface DomainSpec {
  uuid?: string;
  /** A VF given to the guest as a plain <hostdev>. */
  hostdev?: string;
  /** virt-sriov metadata entries: attributes of <sriov:vf>, e.g. {pci: '0000:01:10.2', vlan: '403'}. */
  vfs?: Record<string, string>[];
}

/** A guest that TCG can run here: 64 MiB, no disk, no display, ACPI (libvirt 9.0 + QEMU 7.2). */
export function domainXml(name: string, spec: DomainSpec = {}): string {
  const metadata = spec.vfs?.length
    ? `  <metadata>\n    <sriov:vfs xmlns:sriov='${SRIOV_NS}'>\n${spec.vfs
        .map((a) => `      <sriov:vf ${Object.entries(a).map(([k, v]) => `${k}='${v}'`).join(' ')}/>\n`)
        .join('')}    </sriov:vfs>\n  </metadata>\n`
    : '';
  const hostdev = spec.hostdev
    ? `    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source><address ${pciAttributes(spec.hostdev)}/></source>\n    </hostdev>\n`
    : '';
  return `<domain type='qemu'>
  <name>${name}</name>
${spec.uuid ? `  <uuid>${spec.uuid}</uuid>\n` : ''}${metadata}  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <video><model type='none'/></video>
    <memballoon model='none'/>
${hostdev}  </devices>
</domain>
`;
}

export interface SuiteConfig {
  readonly path: string;
  readonly logFile: string;
  readonly stateDir: string;
}

/** A virt-sriov config pointing every hook at the fake host, with log and state under `dir`. */
export function writeSuiteConfig(dir: string, host: FakeHost, bundles: FakeHostBundles, extra: Record<string, unknown> = {}): SuiteConfig {
  const c = {
    path: join(dir, 'config.json'),
    logFile: join(dir, 'log', 'virt-sriov.log'),
    stateDir: join(dir, 'state'),
  };
  writeFileSync(c.path, JSON.stringify({
    pfs: { eth0: { numVfs: 2, bringUp: true } }, // the reboots here bring eth0 down too
    releasePolicy: 'restore',
    logFile: c.logFile,
    stateDir: c.stateDir,
    sysfsRoot: host.sysRoot,
    ipCommand: bundles.ipCommand(host),
    ...extra,
  }, null, 2));
  return c;
}

export function readHookLog(file: string): HookLogEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as HookLogEntry);
}

/** The VF records in the state dir, as `virt-sriov` keeps them (one JSON file per VF). */
export { stateStore } from '../../../src/state/state-store.js';

/**
 * A hook file as install.sh makes it (its `bake`): this node as interpreter, `configPath`
 * written over the config marker of the built bundle, and the built operations bundle (beside
 * `built`) as the one it loads.
 */
export function bakeHook(built: string, configPath: string, out: string): string {
  const lines = readFileSync(built, 'utf8').split('\n');
  const body = lines.slice(1).join('\n');
  const marker = 'VIRT_SRIOV_CONFIG_PATH=/etc/virt-sriov/config.json';
  const operations = 'VIRT_SRIOV_OPERATIONS_PATH=';
  if (!body.includes(marker) || !body.includes(operations)) throw new Error(`${built} has no config or operations marker`);
  const baked = body.split(marker).join(`VIRT_SRIOV_CONFIG_PATH=${configPath}`)
    .split(operations).join(`${operations}${join(dirname(built), 'operations.cjs')}`);
  writeFileSync(out, `#!${process.execPath}\n// virt-sriov hook (test)\n${baked}`);
  chmodSync(out, 0o755);
  return out;
}

/** virsh define / net-define from a file under `dir` (shared with the namespace): `virsh define /dev/stdin` can't open node's stdin socket. */
export async function defineFromFile(daemon: PrivateLibvirtd, dir: string, name: string, xml: string, kind: 'define' | 'net-define' = 'define'): Promise<void> {
  const file = join(dir, `${name}.xml`);
  writeFileSync(file, xml);
  await daemon.virshOk(kind, file);
}

/** An afterAll's work for a private libvirtd on a fake host: each part that was made goes, then the work dir. */
export async function tearDownBed(parts: { libvirt?: PrivateLibvirtd; bundles?: FakeHostBundles; host?: FakeHost; work: string }): Promise<void> {
  await parts.libvirt?.stop();
  parts.bundles?.remove();
  parts.host?.remove();
  rmSync(parts.work, { recursive: true, force: true });
}
