import { describe, expect, test } from '@jest/globals';
import { DomainXml, describeDevice } from '../../../src/xml/domain.js';
import { devicesOf, domainFixture, igbContext, inputError, vfOf } from '../helpers.js';

const SRIOV = "xmlns:sriov='http://virt-sriov.org/xmlns/domain/1.0'";

/** A domain with these devices (and these virt-sriov metadata entries). */
function domain(devices: string, entries: string[] = []): string {
  const md = entries.length ? `  <metadata>\n    <sriov:vfs ${SRIOV}>\n${entries.map((e) => `      ${e}\n`).join('')}    </sriov:vfs>\n  </metadata>\n` : '';
  return `<domain type='kvm'>\n  <name>vm1</name>\n${md}  <devices>\n    ${devices}\n  </devices>\n</domain>\n`;
}

const HOSTDEV = (bus = '0x01', slot = '0x10', fn = '0x2') =>
  `<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='${bus}' slot='${slot}' function='${fn}'/></source></hostdev>`;
const IFACE = (inner = '') =>
  `<interface type='hostdev' managed='yes'>${inner}<source><address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x4'/></source></interface>`;
const NET = (network: string, inner = "<mac address='52:54:00:aa:00:01'/>") =>
  `<interface type='network'>${inner}<source network='${network}'/></interface>`;

describe('finding SR-IOV devices in a realistic domain', () => {
  test('all three styles, in document order; the bridge, the NAT network and the GPU are left alone', () => {
    const found = devicesOf(domainFixture('virsh-dumpxml.xml'));
    expect(found.map((d) => [d.style, d.label, vfOf(d) ?? d.fields.network])).toEqual([
      ['hostdev', 'hostdev 0000:01:10.2', '0000:01:10.2'],
      ['interface', 'interface 52:54:00:6b:02:02', '0000:01:10.4'],
      ['network', 'interface 52:54:00:6b:03:03', 'sriov'],
    ]);
  });

  test('settings merge the XML (<mac>, <vlan>) with the metadata (the rest)', () => {
    const [hostdev, iface, net] = devicesOf(domainFixture('virsh-dumpxml.xml'));
    expect(hostdev!.settings).toEqual({ mac: 'de:ad:fe:ed:ff:01', vlan: { id: 403 }, trust: true, spoofchk: false });
    expect(iface!.settings).toEqual({ mac: '52:54:00:6b:02:02', vlan: { id: 42 } });
    expect(iface!.entry).toBeUndefined();
    expect(net!.settings).toEqual({ mac: '52:54:00:6b:03:03', vlan: { id: 500 }, linkState: 'enable', maxTxRate: 1000 });
    expect(net!.entry?.key).toEqual({ mac: '52:54:00:6b:03:03' });
  });

  test('describeDevice adds the VF where there is one', () => {
    const [hostdev, iface, net] = devicesOf(domainFixture('virsh-dumpxml.xml'));
    expect([hostdev, iface, net].map((d) => describeDevice(d!))).toEqual([
      'hostdev 0000:01:10.2 (VF 0000:01:10.2)', 'interface 52:54:00:6b:02:02 (VF 0000:01:10.4)', 'interface 52:54:00:6b:03:03',
    ]);
  });

  test('the Debian 7 domain: two plain hostdevs whose MAC and VLAN live in metadata', () => {
    const found = devicesOf(domainFixture('wheezy-hostdev.xml'));
    expect(found.map((d) => [d.style, vfOf(d), d.settings])).toEqual([
      ['hostdev', '0000:01:10.0', { mac: 'de:ad:fe:ed:ff:01', vlan: { id: 403 } }],
      ['hostdev', '0000:01:10.2', { mac: 'de:ad:fe:ed:ff:02', vlan: { id: 404, qos: 3 }, spoofchk: false }],
    ]);
  });

  test('a domain without <devices> has none', () => {
    expect(devicesOf("<domain type='kvm'><name>a</name></domain>")).toEqual([]);
  });
});

describe('<hostdev>: counted only when the host says it is a VF, or metadata names it', () => {
  test('a VF on the host', () => {
    expect(devicesOf(domain(HOSTDEV())).map((d) => d.style)).toEqual(['hostdev']);
  });

  test('a PCI device that is no VF (a GPU, a whole NIC) is not ours', () => {
    expect(devicesOf(domain(HOSTDEV('0x03', '0x00', '0x0')))).toEqual([]);
    expect(devicesOf(domain(HOSTDEV()), igbContext({ vfs: false }))).toEqual([]);
  });

  test('metadata naming its PCI address makes it ours even where the host does not know it (another host, VFs not created yet)', () => {
    const found = devicesOf(domain(HOSTDEV(), ["<sriov:vf pci='0000:01:10.2' vlan='403'/>"]), igbContext({ vfs: false }));
    expect(found.map((d) => [d.style, d.settings])).toEqual([['hostdev', { vlan: { id: 403 } }]]);
  });

  test('the address may be written as libvirt accepts it: decimal, no domain; the metadata key without domain', () => {
    const xml = domain("<hostdev mode='subsystem' type='pci'><source><address bus='1' slot='16' function='2'/></source></hostdev>",
      ["<sriov:vf pci='01:10.2' trust='on'/>"]);
    const [d] = devicesOf(xml, igbContext({ vfs: false }));
    expect(vfOf(d!)).toBe('0000:01:10.2');
    expect(d!.settings).toEqual({ trust: true });
  });

  test('USB hostdevs, capabilities hostdevs and a PCI hostdev without a readable address are left alone', () => {
    const xml = domain([
      "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>",
      "<hostdev mode='capabilities' type='pci'><source><address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></source></hostdev>",
      "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' slot='0x10' function='0x2'/></source></hostdev>",
    ].join('\n    '));
    expect(devicesOf(xml)).toEqual([]);
  });
});

describe("<interface type='hostdev'>: always an SR-IOV device", () => {
  test('even when the host does not know the VF', () => {
    const [d] = devicesOf(domain(IFACE("<mac address='52:54:00:AA:BB:CC'/>")), igbContext({ vfs: false }));
    expect([d!.style, d!.label, d!.settings]).toEqual(['interface', 'interface 52:54:00:aa:bb:cc', { mac: '52:54:00:aa:bb:cc' }]);
  });

  test('without a MAC it is named by its VF', () => {
    expect(devicesOf(domain(IFACE()))[0]!.label).toBe('interface 0000:01:10.4');
  });

  test('without a source address it is an error, not silently skipped', () => {
    const e = inputError(() => devicesOf(domain("<interface type='hostdev'><mac address='52:54:00:aa:00:01'/></interface>")));
    expect(e.message).toMatch(/^domain vm1: <interface type='hostdev'> has no <source><address/);
  });
});

describe("<interface type='network'>: only on a hostdev network, or when metadata names it", () => {
  test('on a hostdev network', () => {
    expect(devicesOf(domain(NET('sriov'))).map((d) => [d.style, d.fields.network])).toEqual([['network', 'sriov']]);
  });

  test("on libvirt's NAT network it is not ours", () => {
    expect(devicesOf(domain(NET('default')))).toEqual([]);
  });

  test('on a network the host does not know, metadata keyed by its MAC makes it ours (MAC case does not matter)', () => {
    const xml = domain(NET('pool2', "<mac address='52:54:00:AA:00:01'/>"), ["<sriov:vf interface-mac='52:54:00:aa:00:01' trust='on'/>"]);
    expect(devicesOf(xml).map((d) => [d.style, d.settings])).toEqual([['network', { mac: '52:54:00:aa:00:01', trust: true }]]);
  });

  test('without a MAC on an unknown network it is not ours', () => {
    expect(devicesOf(domain(NET('pool2', '')))).toEqual([]);
  });

  test('the portgroup is read', () => {
    const xml = domain("<interface type='network'><source network='sriov' portgroup='blue'/></interface>");
    expect(devicesOf(xml)[0]!.fields).toMatchObject({ network: 'sriov', sourceAttributes: { portgroup: 'blue' } });
  });
});

describe('settings from the XML and from metadata', () => {
  test('metadata may add a QoS to the XML VLAN tag (libvirt has none)', () => {
    const xml = domain(IFACE("<mac address='52:54:00:aa:00:01'/><vlan><tag id='42'/></vlan>"), ["<sriov:vf interface-mac='52:54:00:aa:00:01' vlan='42' qos='5'/>"]);
    expect(devicesOf(xml)[0]!.settings).toEqual({ mac: '52:54:00:aa:00:01', vlan: { id: 42, qos: 5 } });
  });

  test('an entry keyed by the VF matches an interface with a MAC too', () => {
    const xml = domain(IFACE("<mac address='52:54:00:aa:00:01'/>"), ["<sriov:vf pci='0000:01:10.4' spoofchk='off'/>"]);
    expect(devicesOf(xml)[0]!.settings).toEqual({ mac: '52:54:00:aa:00:01', spoofchk: false });
  });

  test.each([
    ['a MAC', IFACE("<mac address='52:54:00:aa:00:01'/>"), "<sriov:vf pci='0000:01:10.4' mac='52:54:00:aa:00:02'/>",
      'domain vm1, interface 52:54:00:aa:00:01: MAC is 52:54:00:aa:00:01 in the XML but 52:54:00:aa:00:02 in virt-sriov metadata'],
    ['a VLAN', IFACE("<mac address='52:54:00:aa:00:01'/><vlan><tag id='42'/></vlan>"), "<sriov:vf interface-mac='52:54:00:aa:00:01' vlan='43'/>",
      'domain vm1, interface 52:54:00:aa:00:01: VLAN is 42 in the XML but 43 in virt-sriov metadata'],
  ])('%s in both places, different: a conflict that names both values', (_what, device, entry, message) => {
    const e = inputError(() => devicesOf(domain(device, [entry])));
    expect(e.message).toBe(message);
    expect(e.fix).toMatch(/in one place/);
  });

  test('entries for both the MAC and the VF of one device: a conflict', () => {
    const xml = domain(IFACE("<mac address='52:54:00:aa:00:01'/>"),
      ["<sriov:vf interface-mac='52:54:00:aa:00:01' trust='on'/>", "<sriov:vf pci='0000:01:10.4' spoofchk='off'/>"]);
    expect(inputError(() => devicesOf(xml)).message)
      .toBe('domain vm1, interface 52:54:00:aa:00:01: virt-sriov metadata has entries for both interface 52:54:00:aa:00:01 and VF 0000:01:10.4');
  });

  test('the same value in both places is no conflict', () => {
    const xml = domain(IFACE("<mac address='52:54:00:aa:00:01'/>"), ["<sriov:vf interface-mac='52:54:00:aa:00:01' mac='52:54:00:AA:00:01'/>"]);
    expect(devicesOf(xml)[0]!.settings).toEqual({ mac: '52:54:00:aa:00:01' });
  });

  test.each([
    ["<vlan><tag id='0'/></vlan>", 'VLAN 0 is out of range (1-4094)'],
    ["<vlan><tag id='4095'/></vlan>", 'VLAN 4095 is out of range (1-4094)'],
    ["<vlan><tag id='5000'/></vlan>", 'VLAN 5000 is out of range (1-4094)'],
    ["<mac address='01:00:5e:00:00:01'/>", "MAC '01:00:5e:00:00:01' is a multicast address"],
    ["<mac address='00:00:00:00:00:00'/>", "MAC '00:00:00:00:00:00' is all zeros"],
  ])('the XML is validated like the metadata: %s', (inner, problem) => {
    const e = inputError(() => devicesOf(domain(IFACE(inner))));
    expect(e.message).toMatch(/^domain vm1, interface \S+: /);
    expect(e.message).toContain(problem);
  });

  test.each([
    ["<vlan trunk='yes'><tag id='42'/><tag id='43'/></vlan>", 'the XML gives 2'],
    ["<vlan><tag id='42'/><tag id='43'/></vlan>", 'the XML gives 2'],
    ["<vlan trunk='yes'><tag id='42'/></vlan>", 'the XML gives a trunk'],
  ])('a VLAN trunk can not go on a VF: %s', (inner, gives) => {
    const e = inputError(() => devicesOf(domain(IFACE(inner))));
    expect(e.message).toBe(`domain vm1: a VF takes exactly one VLAN tag, ${gives}`);
    expect(e.fix).toMatch(/can't trunk/);
  });

  test('metadata left over from a removed device is reported as an orphan', () => {
    const doc = DomainXml.parse(domain(HOSTDEV(), ["<sriov:vf pci='0000:01:10.2' trust='on'/>", "<sriov:vf pci='0000:01:10.6' trust='on'/>"]), 'vm1.xml');
    const orphans = doc.orphanEntries(doc.sriovDevices(igbContext()));
    expect(orphans.map((e) => e.key)).toEqual([{ pci: { domain: 0, bus: 1, slot: 0x10, function: 6 } }]);
  });
});
