import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetworkXml } from '../../../src/xml/network.js';
import { FakeHost } from '../../support/fake-host.js';
import { cli, writeConfig } from './cli-helpers.js';

describe('virt-sriov style', () => {
  test('--json: exactly the documented shape', async () => {
    expect(await cli(['style', '--libvirt', '9.0.0', '--qemu', '7.2.0', '--json']))
      .toEqual({ code: 0, stdout: '{"supported":["network","interface","hostdev"],"vlanInXml":true}\n', stderr: '' });
    expect((await cli(['style', '--libvirt', '0.9.12', '--qemu', '1.1.2', '--json'])).stdout).toBe('{"supported":["hostdev"],"vlanInXml":false}\n');
    expect((await cli(['style', '--libvirt', '0.9.12', '--qemu', '1.3.0', '--json'])).stdout).toBe('{"supported":["interface","hostdev"],"vlanInXml":false}\n');
  });

  test('takes the versions as the binaries print them', async () => {
    const r = await cli(['style', '--libvirt', 'virtqemud (libvirt) 11.3.0', '--qemu', 'QEMU emulator version 1.1.2 (qemu-kvm-1.1.2+dfsg-6, Debian)', '--json']);
    expect(r.stdout).toBe('{"supported":["hostdev"],"vlanInXml":true}\n');
  });

  test('--table: where each part of a device lives in each style, for the libvirt given', async () => {
    const table = async (argv: string[]) => {
      const r = await cli(['style', ...argv, '--table']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      return JSON.parse(r.stdout) as Record<string, { children: { name: string; since?: string }[]; attributes: Record<string, string> }>;
    };
    const now = await table(['--libvirt', '9.0.0', '--qemu', '7.2.0']);
    expect(Object.keys(now)).toEqual(['hostdev', 'interface', 'network']);
    const children = (style: string) => now[style]!.children.map((c) => c.name);
    expect(children('hostdev')).toEqual(['driver', 'source', 'teaming', 'boot', 'alias', 'rom', 'acpi', 'address', 'readonly', 'shareable']);
    expect(children('interface')).toEqual(expect.arrayContaining(['mac', 'source', 'vlan', 'virtualport', 'model', 'filterref', 'backend', 'teaming']));
    expect(now.network!.attributes).toEqual({ trustGuestRxFilters: '' });
    expect(now.hostdev!.children.find((c) => c.name === 'teaming')).toEqual({ name: 'teaming', since: '6.1.0' });
    // a libvirt before 6.1.0 has no <teaming> anywhere
    const old = await table(['--libvirt', '5.0.0', '--qemu', '3.1.0']);
    expect(Object.values(old).flatMap((s) => s.children.map((c) => c.name))).not.toContain('teaming');
  });

  test('text: the styles best first, what is missing and why, where VLANs go', async () => {
    const r = await cli(['style', '--libvirt', '0.9.12', '--qemu', '1.1.2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      'libvirt 0.9.12 with qemu 1.1.2:',
      "  hostdev    <hostdev mode='subsystem' type='pci'>",
      '  (no network: needs libvirt >= 0.10.0 and qemu >= 1.3.0)',
      '  (no interface: needs libvirt >= 0.9.11 and qemu >= 1.3.0)',
      '  VLANs stay in virt-sriov metadata: <vlan> needs libvirt >= 0.10.0; the hook sets them',
      '',
    ].join('\n'));
    const now = await cli(['style', '--libvirt', '9.0.0', '--qemu', '7.2.0']);
    expect(now.stdout.split('\n').slice(1, 4).map((l) => l.trim().split(/\s+/)[0])).toEqual(['network', 'interface', 'hostdev']);
    expect(now.stdout).toContain('VLANs go in the XML (<vlan>)');
  });

  test.each([
    [['--libvirt-version', '9.0.0'], /--libvirt-version and --qemu-version go together/],
    [['--qemu-version', '7.2.0'], /--libvirt-version and --qemu-version go together/],
    [['--libvirt', '9.0.0'], /--libvirt-version and --qemu-version go together/],
    [['--libvirt', 'nine', '--qemu', '7.2.0'], /'nine' is not a libvirt version/],
    [['--libvirt', '9.0.0', '--qemu', '7'], /'7' is not a qemu version/],
  ])('bad usage %j exits 2, nothing on stdout', async (args, message) => {
    const r = await cli(['style', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});

describe('virt-sriov network', () => {
  // this host: eth1 an SR-IOV PF, eno1 a NIC without SR-IOV
  let host: FakeHost;
  let config: string;
  beforeAll(() => {
    host = FakeHost.create([{ name: 'eth1', pci: '0000:01:00.0' }]);
    mkdirSync(join(host.sysRoot, 'class/net/eno1'), { recursive: true });
    config = writeConfig(host, {});
  });
  afterAll(() => host.remove());

  test('prints a hostdev network that reads back as one, ready for virsh net-define', async () => {
    const r = await cli(['network', '--name', 'sriov', '--pf', 'eth1', '--vlan', '403', '--config-file', config]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(parseNetworkXml(r.stdout, 'stdout')).toEqual({ name: 'sriov', hostdev: true, pf: 'eth1', vfs: [], vlan: { id: 403 } });
    expect(r.stdout).toBe(`<network>
  <name>sriov</name>
  <forward mode='hostdev' managed='yes'>
    <driver name='vfio'/>
    <pf dev='eth1'/>
  </forward>
  <vlan>
    <tag id='403'/>
  </vlan>
</network>
`);
  });

  test('a PF this host lacks is worth a warning, not a refusal: the XML may be for another host', async () => {
    for (const [pf, why] of [['eth9', 'there is no interface eth9 on this host'], ['eno1', 'eno1 is not an SR-IOV PF on this host: it offers no VFs']] as const) {
      const r = await cli(['network', '--name', 'sriov', '--pf', pf, '--config-file', config]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`virt-sriov: warning: ${why}${pf === 'eno1' ? ' (no sriov_totalvfs)' : ''} (the network would not start here)\n`);
      expect(parseNetworkXml(r.stdout, 'stdout').pf).toBe(pf);
    }
  });

  test('--dry-run without --define is bad usage: without it nothing changes anyway', async () => {
    const r = await cli(['network', '--name', 'sriov', '--pf', 'eth1', '--dry-run', '--config-file', config]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('--dry-run goes with --define');
  });

  test('without --vlan there is no <vlan>', async () => {
    const r = await cli(['network', '--name', 'pool-a', '--pf', 'enp3s0f1']);
    expect(r.code).toBe(0);
    expect(parseNetworkXml(r.stdout, 'stdout')).toEqual({ name: 'pool-a', hostdev: true, pf: 'enp3s0f1', vfs: [], vlan: undefined });
  });

  test('a name with XML special characters is escaped, not injected', async () => {
    const r = await cli(['network', '--name', "a<b>&'c", '--pf', 'eth1']);
    expect(r.code).toBe(0);
    expect(parseNetworkXml(r.stdout, 'stdout').name).toBe("a<b>&'c");
  });

  test.each([
    [['--vlan', '0'], /network sriov: VLAN 0 is out of range \(1-4094\)/],
    [['--vlan', '4095'], /VLAN 4095 is out of range \(1-4094\)/],
    [['--vlan', '403:2'], /--vlan 403:2: a network's <vlan> has no QoS/],
    [['--vlan', 'blue'], /--vlan 'blue' is not a whole number/],
  ])('bad --vlan %j exits 2', async (args, message) => {
    const r = await cli(['network', '--name', 'sriov', '--pf', 'eth1', ...args]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
  });

  test.each([
    [['--name', 'my net', '--pf', 'eth1'], /network name 'my net' is not usable/],
    [['--name', 'a/b', '--pf', 'eth1'], /network name 'a\/b' is not usable/],
    [['--name', 'sriov', '--pf', 'eth1; reboot'], /PF 'eth1; reboot' is not an interface name/],
    [['--name', 'sriov', '--pf', 'an-interface-name-too-long'], /is not an interface name/],
    [['--name', 'sriov'], /required option '--pf <iface>' not specified/],
    [['--pf', 'eth1'], /required option '--name <name>' not specified/],
  ])('bad %j exits 2', async (args, message) => {
    const r = await cli(['network', ...args]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
  });
});
