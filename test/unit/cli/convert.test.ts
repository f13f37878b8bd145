import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainXml } from '../../../src/xml/domain.js';
import { parseXml } from '../../../src/xml/document.js';
import { FakeHost } from '../../support/fake-host.js';
import { devicesOf, domainFixture, fixturePath, igbContext, metadataEntries } from '../helpers.js';
import { cli, writeConfig } from './cli-helpers.js';

// A host with an igb PF whose 4 VFs are 0000:01:10.0, :10.2, :10.4, :10.6, and `sriov` as a known pool.
let host: FakeHost;
let config: string;
beforeAll(() => {
  host = FakeHost.create([{ name: 'eth1', pci: '0000:01:00.0', numVfs: 4 }]);
  config = writeConfig(host, { networks: { sriov: {} } });
});
afterAll(() => host.remove());

const DUMP = fixturePath('domains', 'virsh-dumpxml.xml');
const styles = (xml: string) => devicesOf(xml, igbContext()).map((d) => d.style);

describe('convert --to STYLE', () => {
  test('reads FILE and writes the converted domain, only that, to stdout; what it did goes to stderr', async () => {
    const r = await cli(['convert', '--config-file', config, '--to', 'hostdev', '--vf', '0000:01:10.6', DUMP]);
    expect(r.code).toBe(0);
    expect(styles(r.stdout)).toEqual(['hostdev', 'hostdev', 'hostdev']);
    expect(() => parseXml(r.stdout, 'stdout')).not.toThrow();
    expect(r.stdout.startsWith("<domain type='kvm'")).toBe(true);
    expect(r.stderr).toBe([
      'virt-sriov: interface 52:54:00:6b:02:02: interface -> hostdev',
      'virt-sriov: interface 52:54:00:6b:03:03: network -> hostdev',
      '',
    ].join('\n'));
  });

  test('reads stdin when no FILE is given (and for -)', async () => {
    const text = domainFixture('firewall.xml');
    for (const args of [[], ['-']]) {
      const r = await cli(['convert', '--config-file', config, '--to', 'interface', '--vf', '0000:01:10.6', ...args], text);
      expect(r.code).toBe(0);
      expect(styles(r.stdout)).toEqual(['interface', 'interface', 'interface']);
      expect(r.stdout).toContain('<!-- outside: a VF on eth1 -->');
    }
  });

  test('--to network --network NAME moves pinned devices onto the pool', async () => {
    const r = await cli(['convert', '--config-file', config, '--to', 'network', '--network', 'sriov', DUMP]);
    expect(r.code).toBe(0);
    expect(devicesOf(r.stdout).map((d) => [d.style, d.fields.network])).toEqual([['network', 'sriov'], ['network', 'sriov'], ['network', 'sriov']]);
  });

  test('a domain without SR-IOV devices comes back unchanged, and the admin is told', async () => {
    const text = domainFixture('virsh-dumpxml.xml').replace(/    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address domain='0x0000' bus='0x01'[\s\S]*?<address type='pci' domain='0x0000' bus='0x07'[^\n]*\n    <\/interface>\n/, '');
    expect(devicesOf(text)).toEqual([]);
    const r = await cli(['convert', '--config-file', config, '--to', 'hostdev'], text);
    expect(r).toEqual({ code: 0, stdout: text, stderr: 'virt-sriov: domain edge-router has no SR-IOV device; nothing to convert\n' });
  });

  test('the network given with --network is taken as a hostdev network even when the host does not know it', async () => {
    const plain = join(host.root, 'plain-config.json');
    writeFileSync(plain, JSON.stringify({ sysfsRoot: host.sysRoot }));
    // its network-style interface has no metadata entry; a pool name no libvirt on this machine defines
    const fw = join(host.root, 'fw.xml');
    writeFileSync(fw, domainFixture('firewall.xml').replace("network='sriov'", "network='vs-test-pool-7f3a'"));
    const unknownPool = await cli(['convert', '--config-file', plain, '--to', 'hostdev', fw]);
    // unknown: the network-style device is not recognised and stays as it is
    expect(unknownPool.code).toBe(0);
    expect(unknownPool.stdout).toContain("<interface type='network'>\n      <mac address='52:54:00:6a:03:03'/>\n      <source network='vs-test-pool-7f3a'/>");
    const named = await cli(['convert', '--config-file', plain, '--to', 'hostdev', '--network', 'vs-test-pool-7f3a', '--vf', '0000:01:10.6', fw]);
    expect(named.code).toBe(0);
    expect(styles(named.stdout)).toEqual(['hostdev', 'hostdev', 'hostdev']);
  });
});

describe('convert --for-libvirt X.Y.Z --for-qemu X.Y.Z', () => {
  test('Debian 7 (0.9.12, qemu-kvm 1.1.2): everything to hostdev, VLANs to metadata', async () => {
    const r = await cli(['convert', '--config-file', config, '--for-libvirt', '0.9.12', '--for-qemu', '1.1.2', '--vf', '0000:01:10.6', DUMP]);
    expect(r.code).toBe(0);
    expect(styles(r.stdout)).toEqual(['hostdev', 'hostdev', 'hostdev']);
    expect(r.stdout).not.toContain('<vlan>');
    expect(metadataEntries(r.stdout).map((e) => e.vlan)).toEqual(['403', '500', '42']);
    expect(r.stderr).toMatch(/^virt-sriov: libvirt 0\.9\.12 with qemu 1\.1\.2 runs: hostdev\n/);
  });

  test('Debian 12 (9.0.0, 7.2.0) keeps the intent: pinned stays pinned, the pool stays a pool', async () => {
    const r = await cli(['convert', '--config-file', config, '--for-libvirt', '9.0.0', '--for-qemu', '7.2.0', DUMP]);
    expect(r.code).toBe(0);
    expect(styles(r.stdout)).toEqual(['interface', 'interface', 'network']);
    expect(r.stderr).toContain('virt-sriov: libvirt 9.0.0 with qemu 7.2.0 runs: network, interface, hostdev\n');
    expect(r.stderr).toContain('virt-sriov: hostdev 0000:01:10.2: hostdev -> interface\n');
  });

  test('the versions may be given as the binaries print them', async () => {
    const r = await cli(['convert', '--config-file', config, '--for-libvirt', 'libvirtd (libvirt) 9.0.0',
      '--for-qemu', 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)', DUMP]);
    expect(r.code).toBe(0);
    expect(styles(r.stdout)).toEqual(['interface', 'interface', 'network']);
  });

  test('--network with a pair that has no pools is bad usage', async () => {
    const r = await cli(['convert', '--config-file', config, '--for-libvirt', '0.9.12', '--for-qemu', '1.1.2', '--network', 'sriov', DUMP]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/network style needs libvirt >= 0\.10\.0/);
  });
});

describe('convert: bad input exits 2, says why on stderr, writes nothing to stdout', () => {
  const bad = async (argv: string[], stdin: string | undefined, message: RegExp) => {
    const r = await cli(['convert', '--config-file', config, ...argv], stdin);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  test('malformed XML: line and column', () => bad(['--to', 'hostdev'], "<domain>\n  <name>a</name>\n  <devices>\n</domain>\n",
    /^virt-sriov: stdin: malformed XML at line 4, column \d+: unexpected close tag/));
  test('malformed XML in a file names the file', async () => {
    const file = join(host.root, 'broken.xml');
    writeFileSync(file, "<domain>\n  <name>a & b</name>\n</domain>\n");
    await bad(['--to', 'hostdev', file], undefined, new RegExp(`^virt-sriov: ${file}: malformed XML at line 2, column 11`));
  });
  test('not a domain', () => bad(['--to', 'hostdev'], domainFixture('firewall.xml').replace(/domain/g, 'network'), /not a domain XML \(the root element is <network>\)/));
  test('a DOCTYPE', () => bad(['--to', 'hostdev'], '<!DOCTYPE domain [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]><domain><name>&x;</name></domain>', /DOCTYPE declaration is not allowed/));
  test('a file that does not exist', () => bad(['--to', 'hostdev', join(host.root, 'nope.xml')], undefined, /cannot read .*nope\.xml: no such file/));
  test('an unknown style', () => bad(['--to', 'bridge'], '', /argument 'bridge' is invalid\. Allowed choices are hostdev, interface, network/));
  test('a bad libvirt version', () => bad(['--for-libvirt', '9.x', '--for-qemu', '7.2.0'], domainFixture('firewall.xml'), /'9\.x' is not a libvirt version/));
  test('a bad qemu version', () => bad(['--for-libvirt', '9.0.0', '--for-qemu', 'latest'], domainFixture('firewall.xml'), /'latest' is not a qemu version/));
  test('--for-libvirt without --for-qemu', () => bad(['--for-libvirt', '9.0.0'], domainFixture('firewall.xml'), /--libvirt-version and --qemu-version go together/));
  test('--to with --for-libvirt', () => bad(['--to', 'hostdev', '--for-libvirt', '9.0.0', '--for-qemu', '7.2.0'], '', /either --to or --libvirt-version/));
  test('a --vf that is no PCI address', () => bad(['--to', 'hostdev', '--vf', 'eth1v0'], '', /'eth1v0' is not a PCI address/));
  test('a network-style device with no VF for --to hostdev', () => bad(['--to', 'hostdev', DUMP], undefined,
    /^virt-sriov: domain edge-router, interface 52:54:00:6b:03:03: on network 'sriov' it has no VF of its own.*\n {2}fix: give a free VF with --vf/));
  test('--to network without --network', () => bad(['--to', 'network', DUMP], undefined, /needs the name of a hostdev network\n {2}fix: add --network NAME/));
  test('a metadata error', () => bad(['--to', 'hostdev'], domainFixture('firewall.xml').replace("vlan='403'", "vlan='4095'"), /domain fw1, metadata for VF 0000:01:10\.2: VLAN 4095 is out of range \(1-4094\)/));
  test('a config that is not valid', async () => {
    const broken = join(host.root, 'broken-config.json');
    writeFileSync(broken, '{"pfs": {"eth1": {"numVfs": -1}}}');
    const r = await cli(['convert', '--config-file', broken, '--to', 'hostdev', DUMP]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/pfs\.eth1\.numVfs: must be at least 0/);
  });
});

test('the output is a domain that reads back with every setting', async () => {
  const r = await cli(['convert', '--config-file', config, '--to', 'hostdev', '--vf', '0000:01:10.6', DUMP]);
  const settings = DomainXml.parse(r.stdout, 'out').sriovDevices(igbContext()).map((d) => d.settings);
  expect(settings).toEqual(devicesOf(domainFixture('virsh-dumpxml.xml')).map((d) => d.settings));
});

describe('issue 14: what convert got wrong on XML nobody here wrote', () => {
  // libvirt's hostdev-pci-address test, with the source attribute libvirt's docs show
  const HPA = `<domain type='qemu'>
  <name>QEMUGuest2</name>
  <devices>
    <hostdev mode='subsystem' type='pci'>
      <source writeFiltering='no'>
        <address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </hostdev>
  </devices>
</domain>
`;
  const convert = (argv: string[], stdin: string) => cli(['convert', '--config-file', config, ...argv], stdin);

  test('a <hostdev> VF without a MAC goes to network style and back, whole: no crash', async () => {
    for (const argv of [['--to', 'network'], ['--for-libvirt', '9.0.0', '--for-qemu', '7.2.0']]) {
      const to = await convert([...argv, '--network', 'sriov', '--vf', '0000:06:12.5'], HPA);
      expect(to.code).toBe(0);
      expect(styles(to.stdout)).toEqual(['network']);
      expect(to.stdout).toContain("<interface type='network'>");
      const back = await convert(['--to', 'hostdev', '--vf', '0000:06:12.5', '--network', 'sriov'], to.stdout);
      expect(back).toMatchObject({ code: 0, stdout: HPA });
    }
  });

  test('managed stays as it was: absent (libvirt\'s no) stays absent', async () => {
    const r = await convert(['--to', 'interface', '--vf', '0000:06:12.5'], HPA);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("<interface type='hostdev'>");
    expect(r.stdout).not.toContain('managed');
  });

  test('<source writeFiltering=\'no\'> is named and kept, not lost', async () => {
    const r = await convert(['--to', 'interface', '--vf', '0000:06:12.5'], HPA);
    expect(r.stderr).toContain("warning: domain QEMUGuest2, hostdev 0000:06:12.5: <source writeFiltering='no'> moved to virt-sriov metadata");
    const back = await convert(['--to', 'hostdev', '--vf', '0000:06:12.5'], r.stdout);
    expect(back.stdout).toBe(HPA);
  });

  test('a virtio <driver queues=\'4\'/> is not written into a <hostdev>, where libvirt\'s schema rejects it', async () => {
    const text = domainFixture('virsh-dumpxml.xml').replace("<driver name='vfio'/>", "<driver queues='4'/>");
    const r = await convert(['--to', 'hostdev', '--vf', '0000:01:10.6'], text);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/<hostdev[^>]*>\s*<driver queues/);
    expect(r.stderr).toContain("<driver queues='4'> moved to virt-sriov metadata");
  });

  test('to network style, managed and <driver name=\'vfio\'/> are named on stderr', async () => {
    const r = await convert(['--to', 'network', '--network', 'sriov'], domainFixture('virsh-dumpxml.xml'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("interface 52:54:00:6b:02:02: managed='yes' moved to virt-sriov metadata");
    expect(r.stderr).toContain("interface 52:54:00:6b:02:02: <driver name='vfio'> moved to virt-sriov metadata");
  });

  test('--strict makes any such move an error: exit 2, nothing on stdout', async () => {
    const r = await convert(['--strict', '--to', 'network', '--network', 'sriov'], domainFixture('virsh-dumpxml.xml'));
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/--strict, and the new style can't hold all of it:\n {2}domain edge-router, .*managed='yes'/);
  });

  test('--pci-as-vf: every PCI <hostdev> is a VF, for XML shaped for another host', async () => {
    const r = await convert(['--to', 'interface', '--pci-as-vf'], HPA);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("<interface type='hostdev'>");
    const without = await convert(['--to', 'interface'], HPA);
    expect(without.stdout).toBe(HPA);
  });

  test('a network-style domain on a network this host does not know: --network names it a pool', async () => {
    const vm1 = "<domain type='kvm'>\n  <name>vm1</name>\n  <devices>\n    <interface type='network'>\n      <mac address='52:54:00:aa:00:01'/>\n      <source network='vs-unknown-pool'/>\n    </interface>\n  </devices>\n</domain>\n";
    const r = await convert(['--to', 'interface', '--network', 'vs-unknown-pool', '--vf', '0000:01:10.0'], vm1);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("<interface type='hostdev'");
    expect(r.stdout).toContain("function='0x0'");
  });

  test('an option that changes nothing is said; --strict refuses it', async () => {
    const text = domainFixture('virsh-dumpxml.xml');
    const r = await convert(['--to', 'network', '--network', 'sriov', '--vf', '0000:01:11.0'], text);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: --vf 0000:01:11.0 changed nothing');
    const strict = await convert(['--strict', '--to', 'interface', '--vf', '0000:01:10.6', '--vf', '0000:01:11.0'], text);
    expect(strict).toMatchObject({ code: 2, stdout: '' });
    expect(strict.stderr).toContain('--vf 0000:01:11.0 changed nothing');
  });
});
