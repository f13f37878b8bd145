/**
 * The built hooks and CLI on node 18.20 (Debian 12's nodejs): the same results as on the node
 * that built them.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { FakeHost, captureStdin } from '../../support/fake-host.js';
import { withMetadata } from '../../support/hook-bench.js';
import { node18 } from '../../support/node18.js';
import { bakeHook } from '../hooks/hook-suite.js';

let node: string;
let dir: string;
let host: FakeHost;
let hook: string;

const run = (bin: string, args: string[], input = '') => spawnSync(bin, args, { input, encoding: 'utf8', timeout: 30_000 });

beforeAll(async () => {
  node = node18();
  if (!existsSync('dist/hooks/qemu.cjs')) spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'virt-sriov-node18-'));
  host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }]);
  const ip = join(dir, 'fake-ip.mjs');
  await build({ entryPoints: ['test/support/fake-ip-cli.ts'], bundle: true, platform: 'node', format: 'esm', outfile: ip, logLevel: 'error' });
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    sysfsRoot: host.sysRoot, ipCommand: [process.execPath, ip, host.root], stateDir: join(dir, 'state'), logFile: join(dir, 'log'),
  }));
  // as install.sh bakes it: the config path in the marker
  hook = bakeHook(resolve('dist/hooks/qemu.cjs'), config, join(dir, 'qemu'));
}, 240_000);

afterAll(() => {
  host?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('node 18.20', () => {
  test('is what runs', () => {
    expect(run(node, ['--version']).stdout.trim()).toBe('v18.20.4');
  });

  test('the CLI converts a domain exactly as on the building node', () => {
    const args = ['dist/virt-sriov.mjs', 'convert', '--to', 'interface', 'test/fixtures/domains/firewall.xml'];
    const old = run(node, args);
    expect(old.status).toBe(0);
    expect(old.stdout).toBe(run(process.execPath, args).stdout);
  });

  test('the CLI reaches libvirt through koffi', () => {
    // the fake host's eth0: network --define checks the PF on this host first
    const r = run(node, ['dist/virt-sriov.mjs', 'network', '--name', 'n18', '--pf', 'eth0', '--define', '-c', 'test:///default', '--config-file', join(dir, 'config.json')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('network n18 defined');
  });

  test('the qemu hook runs prepare, start and stopped on a VF', () => {
    const entry = "<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01' vlan='403' trust='on'/>";
    const prepare = run(node, [hook, 'l2-hostdev', 'prepare', 'begin', '-'], withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), [entry]));
    expect(prepare.stderr).toBe('');
    expect(prepare.status).toBe(0);
    const start = run(node, [hook, 'l2-hostdev', 'start', 'begin', '-'], withMetadata(captureStdin('qemu.l2-hostdev.start.begin.xml'), [entry]));
    expect(start.status).toBe(0);
    expect(host.vf('eth0', 1)).toMatchObject({ mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true });
    const stopped = run(node, [hook, 'l2-hostdev', 'stopped', 'end', '-'], withMetadata(captureStdin('qemu.l2-hostdev.stopped.end.xml'), [entry]));
    expect(stopped.status).toBe(0);
    expect(host.vf('eth0', 1)).toMatchObject({ vlan: 0, trust: false });
  });

  test('migrate through the built hook edits and writes back the domain XML, on both nodes', () => {
    const entry = "<sriov:vf pci='0000:01:10.2' vlan='403'/>";
    const xml = withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), [entry]);
    for (const bin of [node, process.execPath]) {
      const r = run(bin, [hook, 'l2-hostdev', 'migrate', 'begin', '-'], xml);
      expect({ bin, stderr: r.stderr, status: r.status }).toEqual({ bin, stderr: '', status: 0 });
      // the VF is free here: the XML comes back as it went in, written by our serializer over the DOM
      expect(r.stdout).toBe(xml.endsWith('\n') ? xml : `${xml}\n`);
    }
  });
});
