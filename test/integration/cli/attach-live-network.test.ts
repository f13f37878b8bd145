/**
 * `virt-sriov attach --live` of a network-style NIC against a real libvirtd (9.0) private to this
 * file, with virt-sriov's network hook installed (baked with a config that points it at a fake
 * SR-IOV host in /tmp) and the built CLI run inside the namespace as an admin runs it.
 *
 * libvirt's pool picks the VF and runs the network hook's port-created, which puts the NIC's
 * settings on the VF (the CLI left them in the state); then libvirt readies the device, which this
 * kernel can't (no VFIO): libvirt releases the port (port-deleted) and the attach fails. So this
 * shows the hot-plug up to the guest and every way back; the VF in a running guest is the lab's.
 * The pool lists VFs by address (a <pf dev> would be expanded from the machine's own eth0, which
 * has none), and the namespace gets a PCI device tree where they are VFs (libvirt checks).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HookLogEntry } from '../../../src/log/hook-log.js';
import { FakeHost, igbVfAddress } from '../../support/fake-host.js';
import { bundleFakeHostProcesses, type FakeHostBundles } from '../../support/fake-host-processes.js';
import { startPrivateLibvirtd, type PrivateLibvirtd } from '../support/private-libvirtd.js';
import { DIST, defineFromFile, tearDownBed, bakeHook, domainXml, readHookLog, requireBuild, stateStore, writeSuiteConfig, type SuiteConfig } from '../hooks/hook-suite.js';

const URI = 'qemu:///system';
const ETH0 = '0000:01:00.0';
const vf = (i: number) => igbVfAddress(ETH0, i);
const MAC = '52:54:00:dd:00:01';

const work = mkdtempSync(join(tmpdir(), 'virt-sriov-live-net-it-'));
let bundles: FakeHostBundles;
let host: FakeHost;
let config: SuiteConfig;
let libvirt: PrivateLibvirtd | undefined;

function daemon(): PrivateLibvirtd {
  if (!libvirt) throw new Error('private libvirtd did not start (see beforeAll)');
  return libvirt;
}

const cli = (args: string[]) => daemon().exec(process.execPath, [DIST.cli, ...args, '-c', URI, '--config-file', config.path], { timeoutMs: 60_000 });
const log = (): HookLogEntry[] => readHookLog(config.logFile);
const plugsLeft = () => (existsSync(join(config.stateDir, 'plugs')) ? readdirSync(join(config.stateDir, 'plugs')) : []);

function pciXml(pci: string): string {
  const [domain, bus, slotFn] = pci.split(':');
  const [slot, fn] = slotFn!.split('.');
  return `domain='0x${domain}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'`;
}

const define = (name: string, xml: string, kind: 'define' | 'net-define') => defineFromFile(daemon(), work, name, xml, kind);

beforeAll(async () => {
  requireBuild();
  bundles = await bundleFakeHostProcesses();
  host = FakeHost.create([{ name: 'eth0', pci: ETH0, numVfs: 2 }], join(work, 'fake-host'));
  config = writeSuiteConfig(work, host, bundles, { pfs: {} });
  libvirt = await startPrivateLibvirtd({
    beforeDaemonStart(paths) {
      bakeHook(DIST.network, config.path, join(paths.hooks, 'network'));
    },
  });
  // libvirt checks that a pool's address is a VF (its physfn link): the namespace sees a PCI
  // device tree of its own, with eth0's first two VFs; virt-sriov's hook reads the fake host's
  const vfs = [vf(0), vf(1)].map((a) => `mkdir -p /sys/bus/pci/devices/${a} && ln -s ../${ETH0} /sys/bus/pci/devices/${a}/physfn`).join(' && ');
  const mounted = await daemon().exec('bash', ['-c', `mount -t tmpfs tmpfs /sys/bus/pci/devices && mkdir /sys/bus/pci/devices/${ETH0} && ${vfs}`]);
  if (mounted.exitCode !== 0) throw new Error(`a PCI device tree for the namespace: ${mounted.stderr}`);
  await define('pool', `<network>
  <name>pool</name>
  <forward mode='hostdev' managed='yes'>
    <address type='pci' ${pciXml(vf(0))}/>
    <address type='pci' ${pciXml(vf(1))}/>
  </forward>
</network>
`, 'net-define');
  await daemon().virshOk('net-start', 'pool');
  await define('runner', domainXml('runner'), 'define');
  await daemon().virshOk('start', 'runner');
}, 90_000);

afterAll(() => tearDownBed({ libvirt, bundles, host, work }), 30_000);

describe('attach --live --network: a network-style NIC hot-plugged into a running guest', () => {
  test('the network hook puts every setting on the VF libvirt\'s pool picked before libvirt readies it; libvirt refuses (no VFIO), port-deleted puts the VF back exactly as it was, and nothing is left claimed, pending or defined', async () => {
    host.setVf('eth0', 0, { mac: '02:11:22:33:44:00', vlan: 7 });
    const before = host.load().pfs.eth0!.vfs;
    const defined = await daemon().virshOk('dumpxml', '--inactive', 'runner');
    const running = await daemon().virshOk('dumpxml', 'runner');
    const logged = log().length;

    const r = await cli(['attach', 'runner', '--network', 'pool', '--mac', MAC, '--vlan', '403', '--trust', 'on', '--spoofchk', 'off', '--max-tx-rate', '100', '--live']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("host doesn't support passthrough of host PCI devices");
    expect(r.stderr).toContain(`eth0 vf 0 (${vf(0)}), which libvirt's pool had picked, was put back as it was`);

    // the hook's two calls: every setting went on at port-created, and came off at port-deleted
    const lines = log().slice(logged).filter((e) => e.hook === 'network');
    expect(lines.map((e) => `${e.op} ${e.result}`)).toEqual(['port-created ok', 'port-deleted ok']);
    expect(lines[0]!.changes.map((c) => `${c.setting} ${c.from}->${c.to}`)).toEqual([
      `mac 02:11:22:33:44:00->${MAC}`, 'vlan 7->403', 'spoofchk on->off', 'trust off->on', 'minTxRate/maxTxRate 0/0->-/100',
    ]);
    expect(lines[0]!.notes).toEqual([`eth0 vf 0 (${vf(0)}): hot-plugged into runner by virt-sriov attach --live (interface ${MAC}); its settings put on before libvirt hands it over`]);
    expect(host.load().pfs.eth0!.vfs).toEqual(before);
    expect(stateStore(config.stateDir).all()).toEqual([]);
    expect(plugsLeft()).toEqual([]);
    expect(await daemon().virshOk('dumpxml', '--inactive', 'runner')).toBe(defined);
    expect(await daemon().virshOk('dumpxml', 'runner')).toBe(running);
  }, 90_000);

  test('a setting the driver can\'t do fails the hot-plug at port-created, with virt-sriov\'s message through libvirt, before any VF changes; nothing is left pending', async () => {
    const before = host.load().pfs.eth0!.vfs;
    const r = await cli(['attach', 'runner', '--network', 'pool', '--mac', MAC, '--link-state', 'disable', '--live']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("whose driver igb can't do link state disable");
    expect(r.stderr).toContain('no VF was changed');
    expect(host.load().pfs.eth0!.vfs).toEqual(before);
    expect(stateStore(config.stateDir).all()).toEqual([]);
    expect(plugsLeft()).toEqual([]);
  }, 90_000);
});
