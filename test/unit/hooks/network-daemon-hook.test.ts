import { afterEach, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureStdin } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

const netStart = captureStdin('network.sriov.start.begin.xml');
let bench: HookBench;
afterEach(() => bench?.remove());

describe('network hook, start begin of a hostdev network', () => {
  test('a PF with 0 VFs gets its configured count and is brought up (bringUp), before libvirt looks for VFs', async () => {
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 0, up: false }], { pfs: { eth0: { numVfs: 2, bringUp: true } } });
    const r = await bench.run('network', 'sriov start begin -', netStart);
    expect(r.exitCode).toBe(0);
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('2');
    expect(bench.host.load().pfs.eth0!.up).toBe(true);
    expect(bench.lastLog().notes).toEqual(['eth0: VFs 0 -> 2', 'eth0: brought up']);
  });

  test('without a recorded count, a PF with no VFs gets one VF per NIC of the guests defined on the network', async () => {
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 0 }]);
    // two guests defined on the pool: one NIC each; and one guest that uses no pool
    const onPool = captureStdin('qemu.l2-net.prepare.begin.xml');
    bench.domains = [onPool, onPool.replace(/<name>[^<]*</, '<name>second<'), captureStdin('qemu.l2-hostdev.prepare.begin.xml'), '<domain'];
    const r = await bench.run('network', 'sriov start begin -', netStart);
    expect(r.exitCode).toBe(0);
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('2');
    expect(bench.lastLog().notes.join('\n')).toContain('network sriov: PF eth0 had no VFs and no count is recorded: made 2 (2 NIC(s) of defined guests use sriov); `virt-sriov vfs eth0 --count N` records');
  });

  test('without a recorded count or a guest defined on it, the pool gets one VF, so the network starts', async () => {
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 0 }]);
    const r = await bench.run('network', 'sriov start begin -', netStart);
    expect(r.exitCode).toBe(0);
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('1');
  });

  test('VFs in use are never destroyed to reach a higher count', async () => {
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }], { pfs: { eth0: { numVfs: 4 } } });
    bench.host.bindVf('eth0', 0, 'vfio-pci');
    const r = await bench.run('network', 'sriov start begin -', netStart);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('would destroy VFs in use by 0000:01:10.0 (vfio-pci)');
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('2');
  });

  test('a VF the host has up is in use too: never destroyed to reach a higher count', async () => {
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }], { pfs: { eth0: { numVfs: 4 } } });
    writeFileSync(join(bench.host.sysRoot, 'class/net/eth0v1/operstate'), 'up\n');
    const r = await bench.run('network', 'sriov start begin -', netStart);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('would destroy VFs in use by 0000:01:10.2 (the host (eth0v1 is up))');
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('2');
  });

  test('a network that is not a hostdev network is none of our business', async () => {
    bench = HookBench.create([]);
    const nat = "<hookData><network><name>default</name><forward mode='nat'/></network></hookData>";
    expect(await bench.run('network', 'default start begin -', nat)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(bench.lastLog().result).toBe('ignored');
  });
});

describe('daemon hook, start', () => {
  test('brings every configured PF to its VF count (VFs do not survive a reboot)', async () => {
    bench = HookBench.create([
      { name: 'eth0', pci: '0000:01:00.0', numVfs: 0 },
      { name: 'eth1', pci: '0000:02:00.0', numVfs: 0 },
    ], { pfs: { eth0: { numVfs: 3 }, eth1: { numVfs: 7 } } });
    const r = await bench.run('daemon', '- start - start');
    expect(r.exitCode).toBe(0);
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('3');
    expect(bench.host.sysfs.read('class/net/eth1/device/sriov_numvfs')).toBe('7');
  });

  test('a PF it cannot set up is logged, the others are still set up, and the daemon is not stopped', async () => {
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 0 }], { pfs: { eth9: { numVfs: 2 }, eth0: { numVfs: 2 } } });
    const r = await bench.run('daemon', '- start - start');
    expect(r.exitCode).toBe(0);
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('2');
    expect(bench.lastLog()).toMatchObject({ result: 'failed', notes: expect.arrayContaining([expect.stringContaining('PF eth9 does not exist')]) });
  });

  test('the recreate-vfs-after-mac quirk re-creates VFs at boot only: a daemon restart keeps the VFs and what is on them', async () => {
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }], { pfs: { eth0: { numVfs: 2, quirks: ['recreate-vfs-after-mac'] } } });
    // a defined <hostdev> guest asks for a MAC on VF 1
    bench.domains = [withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), ["<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01'/>"])];
    bench.host.setVf('eth0', 0, { vlan: 50 }); // the host's admin tagged a free VF
    bench.takeIpCalls();
    await bench.run('daemon', '- start - start');
    expect(bench.lastLog().notes.join()).toContain('VFs kept as they are');
    expect(bench.takeIpCalls().filter((c) => c.batch)).toEqual([]);
    expect(bench.host.vf('eth0', 0).vlan).toBe(50);
    // a reboot: no VFs; the hook makes them, sets the guest's MAC, then re-creates them
    bench.host.setNumVfs('eth0', 0);
    await bench.run('daemon', '- start - start');
    expect(bench.lastLog().notes.join()).toContain('VFs re-created after setting 1 MAC(s)');
    expect(bench.takeIpCalls().find((c) => c.batch)?.batch).toEqual(['link set dev eth0 vf 1 mac de:ad:fe:ed:ff:01']);
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('2');
  });

  test('on bnx2x the driver table asks for the re-creation, without a quirk in the config', async () => {
    bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 0, driver: 'bnx2x' }], { pfs: { eth0: { numVfs: 2 } } });
    bench.domains = [withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), ["<sriov:vf pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01'/>"])];
    await bench.run('daemon', '- start - start');
    expect(bench.lastLog().notes.join()).toContain('VFs re-created after setting 1 MAC(s)');
  });
});
