/**
 * Proves the private-libvirtd harness against the real libvirt 9.0 on this machine, with a
 * logging hook: the daemon is private, and hooks run with the argv, stdin and order that
 * /work/shared/docs/libvirt-facts.md describes (and what differs is pinned here).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installHook, startPrivateLibvirtd, waitFor, type PrivateLibvirtd } from '../support/private-libvirtd.js';

// /tmp is not remounted, so hooks inside and the test outside share this directory.
const shared = mkdtempSync(join(tmpdir(), 'virt-sriov-harness-test-'));

// One script serves as qemu, network and daemon hook ($0 tells which). Each call keeps its stdin
// as <line number>.stdin, then appends its argv to calls.log (so a line seen means its stdin is
// complete; fine while calls don't overlap, as here). Domains named fail-* are refused
// in prepare, the way a real hook reports a host that can't be readied.
const LOGGING_HOOK = `#!/bin/bash
log='${shared}'
driver=\${0##*/}
n=$(cat "$log/calls.log" 2>/dev/null | wc -l)
cat > "$log/$n.stdin"
echo "$driver $*" >> "$log/calls.log"
if [ "$driver" = qemu ] && [ "$2" = prepare ] && [[ "$1" == fail-* ]]; then
  echo "harness-test: prepare refused for $1" >&2
  exit 1
fi
exit 0
`;

function calls(): string[] {
  const text = existsSync(join(shared, 'calls.log')) ? readFileSync(join(shared, 'calls.log'), 'utf8') : '';
  return text.split('\n').filter(Boolean);
}

/** Runs `action` and returns the hook calls it caused, each with the stdin the hook got. */
async function hookCallsDuring(action: () => Promise<unknown>): Promise<{ argv: string; stdin: string }[]> {
  const before = calls().length;
  await action();
  return calls()
    .slice(before)
    .map((argv, i) => ({ argv, stdin: readFileSync(join(shared, `${before + i}.stdin`), 'utf8') }));
}

function tcgDomain(name: string, devices = ''): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <video><model type='none'/></video>
    <memballoon model='none'/>${devices}
  </devices>
</domain>
`;
}

let libvirt: PrivateLibvirtd | undefined;
const timings: Record<string, number> = {};

async function timed<T>(label: string, action: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await action();
  } finally {
    timings[label] = Math.round(performance.now() - t0);
  }
}

function daemon(): PrivateLibvirtd {
  if (!libvirt) throw new Error('private libvirtd did not start (see beforeAll)');
  return libvirt;
}

/** Defines from a file in the shared dir: node hands input over as a socket, which
 * `virsh define /dev/stdin` can't open (ENXIO). */
async function define(xml: string, kind: 'define' | 'net-define' = 'define'): Promise<void> {
  const file = join(shared, `defined-${calls().length}-${Date.now()}.xml`);
  writeFileSync(file, xml);
  await daemon().virshOk(kind, file);
}

beforeAll(async () => {
  libvirt = await startPrivateLibvirtd({
    debugHooks: true,
    beforeDaemonStart(paths) {
      for (const driver of ['qemu', 'network', 'daemon']) installHook(paths.hooks, driver, LOGGING_HOOK);
    },
  });
  timings['daemon start'] = libvirt.startupMs;
}, 60_000);

afterAll(async () => {
  await libvirt?.stop();
  rmSync(shared, { recursive: true, force: true });
  if (process.env.VIRT_SRIOV_HARNESS_TIMINGS) console.info(`private libvirtd timings (ms): ${JSON.stringify(timings)}`);
}, 30_000);

describe('private libvirtd', () => {
  test('is private: a domain defined inside is invisible to the machine, and its XML stays in the private tree', async () => {
    await define(tcgDomain('harness-private'));
    expect(await daemon().virshOk('list', '--all', '--name')).toContain('harness-private');
    expect(existsSync(join(daemon().paths.etc, 'qemu', 'harness-private.xml'))).toBe(true);
    expect(existsSync('/etc/libvirt/qemu/harness-private.xml')).toBe(false);

    // Without a daemon of its own, the machine's virsh fails to connect: fine, as long as it
    // doesn't reach ours.
    const outside = await execa('virsh', ['-c', 'qemu:///system', 'list', '--all', '--name'], { reject: false, timeout: 20_000 });
    expect(`${outside.stdout}${outside.stderr}`).not.toContain('harness-private');
  }, 30_000);

  test('a TCG domain without devices runs prepare, start, started, stopped, release, each with the domain XML on stdin', async () => {
    await define(tcgDomain('harness-tcg'));
    const seen = await hookCallsDuring(async () => {
      await timed('domain start (TCG)', () => daemon().virshOk('start', 'harness-tcg'));
      await timed('domain destroy (TCG)', () => daemon().virshOk('destroy', 'harness-tcg'));
    });
    expect(seen.map((c) => c.argv)).toEqual([
      'qemu harness-tcg prepare begin -',
      'qemu harness-tcg start begin -',
      'qemu harness-tcg started begin -',
      'qemu harness-tcg stopped end -',
      'qemu harness-tcg release end -',
    ]);
    for (const { stdin } of seen) {
      expect(stdin).toMatch(/^<domain type='qemu'( id='\d+')?>/);
      expect(stdin).toContain('<name>harness-tcg</name>');
    }
    // With debugHooks, libvirtd logs each call with the environment it gave the hook.
    expect(daemon().daemonLog()).toMatch(/About to run LC_ALL=C PATH=\S+ \/etc\/libvirt\/hooks\/qemu harness-tcg prepare begin -/);
  }, 30_000);

  test('a domain with a PCI hostdev fails to start here, after prepare; stopped and release still run', async () => {
    await define(
      tcgDomain(
        'harness-hostdev',
        `
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></source>
    </hostdev>`,
      ),
    );
    let start: { exitCode: number; stderr: string } | undefined;
    const seen = await hookCallsDuring(async () => (start = await daemon().virsh('start', 'harness-hostdev')));
    expect(start?.exitCode).not.toBe(0);
    // On this kernel (no VFIO): "unsupported configuration: host doesn't support passthrough of host PCI devices".
    expect(start?.stderr).toMatch(/Failed to start domain 'harness-hostdev'/);
    expect(seen.map((c) => c.argv)).toEqual([
      'qemu harness-hostdev prepare begin -',
      'qemu harness-hostdev stopped end -',
      'qemu harness-hostdev release end -',
    ]);
    expect(seen[0]?.stdin).toContain("<hostdev mode='subsystem' type='pci' managed='yes'>");
  }, 30_000);

  test('a hostdev network on a missing PF: the network hook start begin runs with hookData before libvirt gives up', async () => {
    await define(
      `<network>
  <name>harness-vfpool</name>
  <forward mode='hostdev' managed='yes'><pf dev='eth-nonexistent'/></forward>
</network>
`,
      'net-define',
    );
    let start: { exitCode: number; stderr: string } | undefined;
    const seen = await hookCallsDuring(async () => (start = await daemon().virsh('net-start', 'harness-vfpool')));
    expect(start?.exitCode).not.toBe(0);
    expect(start?.stderr).toContain("No usable Vf's present on SRIOV PF eth-nonexistent");
    // No `stopped end` follows the failed start.
    expect(seen.map((c) => c.argv)).toEqual(['network harness-vfpool start begin -']);
    expect(seen[0]?.stdin).toMatch(/^<hookData>\s*<network>\s*<name>harness-vfpool<\/name>/);
    expect(seen[0]?.stdin).toContain("<pf dev='eth-nonexistent'/>");
  }, 30_000);

  test('a qemu hook that exits 1 in prepare stops the start, and virsh shows its stderr', async () => {
    await define(tcgDomain('fail-prepare'));
    let start: { exitCode: number; stderr: string } | undefined;
    const seen = await hookCallsDuring(async () => (start = await daemon().virsh('start', 'fail-prepare')));
    expect(start?.exitCode).not.toBe(0);
    expect(start?.stderr).toContain('harness-test: prepare refused for fail-prepare');
    expect(seen.map((c) => c.argv)).toEqual([
      'qemu fail-prepare prepare begin -',
      'qemu fail-prepare stopped end -',
      'qemu fail-prepare release end -',
    ]);
  }, 30_000);

  test('restartDaemon() while a domain runs: the daemon hook sees shutdown and start, then the qemu hook gets reconnect begin', async () => {
    await daemon().virshOk('start', 'harness-tcg');
    const seen = await hookCallsDuring(async () => {
      timings['daemon restart'] = await daemon().restartDaemon();
      // The daemon answers before its reconnect threads have run the hook.
      await waitFor('the reconnect hook', () => calls().at(-1)?.startsWith('qemu harness-tcg reconnect'));
    });
    expect(seen.map((c) => c.argv)).toEqual([
      'daemon - shutdown - shutdown',
      'daemon - start - start',
      'qemu harness-tcg reconnect begin -',
    ]);
    expect(seen[2]?.stdin).toMatch(/^<domain type='qemu' id='\d+'>/);
    expect((await daemon().virshOk('domstate', 'harness-tcg')).trim()).toBe('running');
  }, 30_000);

  test('stop() with a domain still running leaves no process and no files behind, and is idempotent', async () => {
    const { namespacePid, paths } = daemon();
    const pidNamespace = readlinkSync(`/proc/${namespacePid}/ns/pid`);
    expect((await daemon().virshOk('domstate', 'harness-tcg')).trim()).toBe('running');

    await daemon().stop();
    await daemon().stop();

    const inNamespace = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          return readlinkSync(`/proc/${pid}/ns/pid`) === pidNamespace;
        } catch {
          return false;
        }
      });
    expect(inNamespace).toEqual([]);
    expect(existsSync(paths.root)).toBe(false);
    await expect(daemon().virsh('version')).rejects.toThrow(/after stop/);
  }, 30_000);
});

describe('private libvirtd fails loudly', () => {
  const trees = () => readdirSync(tmpdir()).filter((name) => name.startsWith('virt-sriov-libvirtd-'));

  test('when not root', async () => {
    const realGetuid = process.getuid;
    process.getuid = () => 1000;
    try {
      await expect(startPrivateLibvirtd()).rejects.toThrow(/must run as root/);
    } finally {
      process.getuid = realGetuid;
    }
  });

  test('when unshare, nsenter or libvirt are missing, naming each', async () => {
    const error = startPrivateLibvirtd({ toolPath: '/nonexistent' });
    await expect(error).rejects.toThrow(/missing unshare \(util-linux\), nsenter \(util-linux\), .*libvirtd \(libvirt-daemon-system\)/);
  });

  test('when the namespace does not come up: with what unshare said, and nothing left behind', async () => {
    const before = trees();
    const tools = mkdtempSync(join(tmpdir(), 'virt-sriov-harness-tools-'));
    try {
      for (const tool of ['nsenter', 'bash', 'libvirtd', 'virtlogd', 'virsh']) {
        symlinkSync((await execa('which', [tool])).stdout, join(tools, tool));
      }
      writeFileSync(join(tools, 'unshare'), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
      const error = await startPrivateLibvirtd({ toolPath: tools }).catch((e: unknown) => e);
      expect(String(error)).toMatch(/mount namespace did not come up[\s\S]*unshare failed: Operation not permitted/);
    } finally {
      rmSync(tools, { recursive: true, force: true });
    }
    expect(trees()).toEqual(before);
  }, 30_000);

  test('when the daemon does not start: with its own error, and nothing left behind', async () => {
    const before = trees();
    const error = await startPrivateLibvirtd({ libvirtdConf: 'this is not a libvirt setting' }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/libvirtd -d exited 1:[\s\S]*libvirtd\.conf/);
    expect(trees()).toEqual(before);
  }, 30_000);
});

