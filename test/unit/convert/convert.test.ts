import { describe, expect, test } from '@jest/globals';
import { convertDomain, type ConvertOptions } from '../../../src/convert/convert.js';
import { version } from '../../../src/versions/version.js';
import { formatPciAddress } from '../../../src/model/pci-address.js';
import type { Style } from '../../../src/xml/devices/device-fields.js';
import { childElements, child } from '../../../src/xml/dom.js';
import { removeElement } from '../../../src/xml/edit.js';
import { DomainXml, type SriovDevice } from '../../../src/xml/domain.js';
import { SRIOV_NS } from '../../../src/xml/metadata.js';
import { deviceOutline, devicesOf, domainFixture, elementText, igbContext, inputError, metadataEntries, pci } from '../helpers.js';

type Options = Omit<ConvertOptions, 'vlanInXml' | 'context'> & Partial<Pick<ConvertOptions, 'vlanInXml' | 'context'>>;

function convert(text: string, options: Options) {
  const doc = DomainXml.parse(text, 'vm.xml');
  const result = convertDomain(doc, { vlanInXml: true, context: igbContext(), ...options });
  return { out: doc.toString(), ...result };
}

/** Convert only the device of this style (the fixture has one of each), leave the others as they are. */
const only = (from: Style, to: Style) => (d: SriovDevice) => (d.style === from ? to : d.style);

/** Convert only the device on this VF (or on this network). */
const onVf = (vf: string, to: Style) => (d: SriovDevice) => (d.fields.vf && formatPciAddress(d.fields.vf) === vf ? to : d.style);

/** The document without its index-th element under <devices> and without virt-sriov's metadata. */
function outside(xml: string, index: number): string {
  const doc = DomainXml.parse(xml, 'x');
  removeElement(childElements(child(doc.root, 'devices')!)[index]!);
  const md = child(doc.root, 'metadata');
  const ours = md && childElements(md).find((e) => e.namespaceURI === SRIOV_NS);
  if (ours) removeElement(ours);
  return doc.toString();
}

const DUMP = domainFixture('virsh-dumpxml.xml');
const E1 = { pci: '0000:01:10.2', mac: 'de:ad:fe:ed:ff:01', vlan: '403', trust: 'on', spoofchk: 'off' };
const E2 = { 'interface-mac': '52:54:00:6b:03:03', 'max-tx-rate': '1000', 'link-state': 'enable' };
const INDEX: Record<Style, number> = { hostdev: 9, interface: 10, network: 11 }; // among the elements of <devices>
const SETTINGS_BEFORE = devicesOf(DUMP).map((d) => d.settings);

/** The six directed pairs on a domain as virsh dumpxml prints it; only the device of the `from` style moves. */
const PAIRS: {
  from: Style; to: Style; vfs?: string[]; element: string; entries: Record<string, string>[];
}[] = [
  {
    from: 'hostdev', to: 'interface',
    element: `    <interface type='hostdev' managed='yes'>
      <mac address='de:ad:fe:ed:ff:01'/>
      <source>
        <address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>
      </source>
      <vlan>
        <tag id='403'/>
      </vlan>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
    </interface>`,
    entries: [{ 'interface-mac': 'de:ad:fe:ed:ff:01', trust: 'on', spoofchk: 'off' }, E2],
  },
  {
    from: 'hostdev', to: 'network',
    element: `    <interface type='network'>
      <mac address='de:ad:fe:ed:ff:01'/>
      <source network='sriov'/>
      <vlan>
        <tag id='403'/>
      </vlan>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
    </interface>`,
    entries: [{ 'interface-mac': 'de:ad:fe:ed:ff:01', trust: 'on', spoofchk: 'off' }, E2],
  },
  {
    from: 'interface', to: 'hostdev',
    element: `    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio'/>
      <source>
        <address domain='0x0000' bus='0x01' slot='0x10' function='0x4'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>
    </hostdev>`,
    entries: [E1, E2, { pci: '0000:01:10.4', mac: '52:54:00:6b:02:02', vlan: '42' }],
  },
  {
    from: 'interface', to: 'network',
    element: `    <interface type='network'>
      <mac address='52:54:00:6b:02:02'/>
      <source network='sriov'/>
      <vlan>
        <tag id='42'/>
      </vlan>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>
    </interface>`,
    // its VF, managed='yes' and <driver name='vfio'/> are kept for the way back (see "kept parts" below)
    entries: [E1, E2, { 'interface-mac': '52:54:00:6b:02:02' }],
  },
  {
    from: 'network', to: 'hostdev', vfs: ['0000:01:10.6'],
    element: `    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0000' bus='0x01' slot='0x10' function='0x6'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </hostdev>`,
    entries: [E1, { pci: '0000:01:10.6', mac: '52:54:00:6b:03:03', vlan: '500', 'link-state': 'enable', 'max-tx-rate': '1000' }],
  },
  {
    from: 'network', to: 'interface', vfs: ['0000:01:10.6'],
    element: `    <interface type='hostdev' managed='yes'>
      <mac address='52:54:00:6b:03:03'/>
      <source>
        <address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x6'/>
      </source>
      <vlan>
        <tag id='500'/>
      </vlan>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </interface>`,
    entries: [E1, E2],
  },
];

describe.each(PAIRS)('$from -> $to on a domain as virsh dumpxml prints it', ({ from, to, vfs, element, entries }) => {
  const run = () => convert(DUMP, { target: only(from, to), network: 'sriov', vfs: vfs?.map(pci) });

  test('the new element, with MAC and VLAN in the XML where the style holds them', () => {
    const { out, conversions, warnings } = run();
    const tag = to === 'hostdev' ? '</hostdev>' : '</interface>';
    const start = element.split('\n')[0]!.trim();
    // the converted device is the one at its old place: find it by its guest address
    const guest = /bus='0x0(\d)' slot='0x00'/.exec(element)![0];
    const from_ = out.lastIndexOf(start, out.indexOf(guest));
    expect(elementText(out.slice(from_ - 4), start, tag)).toBe(element);
    expect(conversions).toEqual([{ from, to, device: devicesOf(DUMP)[['hostdev', 'interface', 'network'].indexOf(from)]!.label }]);
    expect(warnings).toEqual([]);
  });

  test('stays at its place among its siblings', () => {
    const before = deviceOutline(DUMP);
    const at = before.flatMap((x, i) => (x.startsWith('#') ? [] : [i]))[INDEX[from]]!;
    expect(before[at]).toBe({ hostdev: 'hostdev pci', interface: 'interface hostdev', network: 'interface network' }[from]);
    const expected = [...before];
    expected[at] = { hostdev: 'hostdev pci', interface: 'interface hostdev', network: 'interface network' }[to];
    expect(deviceOutline(run().out)).toEqual(expected);
  });

  test('every other device, the other metadata and the rest of the document are untouched, byte for byte', () => {
    expect(outside(run().out, INDEX[from])).toBe(outside(DUMP, INDEX[from]));
  });

  test('the settings the XML cannot hold go to metadata, keyed for the hook', () => {
    expect(metadataEntries(run().out)).toEqual(entries);
  });

  test('read back, the device has every setting it had', () => {
    const after = devicesOf(run().out);
    expect(after.map((d) => d.style)).toEqual(['hostdev', 'interface', 'network'].map((s) => (s === from ? to : s)));
    expect(after.map((d) => d.settings)).toEqual(SETTINGS_BEFORE);
  });
});

describe('round trips give back the same document', () => {
  test.each(['virsh-dumpxml.xml', 'firewall.xml'])('hostdev -> interface -> hostdev: %s', (name) => {
    const text = domainFixture(name);
    const hostdevs = devicesOf(text).filter((d) => d.style === 'hostdev').map((d) => formatPciAddress(d.fields.vf!));
    expect(hostdevs.length).toBeGreaterThan(0);
    const pinned = (to: Style) => (d: SriovDevice) => (hostdevs.includes(formatPciAddress(d.fields.vf ?? pci('0:0.0'))) ? to : d.style);
    const mid = convert(text, { target: pinned('interface') });
    expect(mid.conversions).toHaveLength(hostdevs.length);
    expect(mid.out).not.toBe(text);
    expect(convert(mid.out, { target: pinned('hostdev') }).out).toBe(text);
  });

  test('hostdev -> interface -> hostdev with two hostdevs: the same devices and entries (the entries may change order)', () => {
    // The first VF's entry empties out in interface style (MAC and VLAN fit the XML) and is removed;
    // coming back it is appended after the second one's. Same settings, entries in another order.
    const text = domainFixture('wheezy-hostdev.xml');
    const mid = convert(text, { target: 'interface' });
    const back = convert(mid.out, { target: 'hostdev' }).out;
    const byPci = (es: Record<string, string>[]) => [...es].sort((a, b) => (a.pci! < b.pci! ? -1 : 1));
    expect(byPci(metadataEntries(back))).toEqual(metadataEntries(text));
    expect(back.replace(/  <metadata>[\s\S]*<\/metadata>\n/, '')).toBe(text.replace(/  <metadata>[\s\S]*<\/metadata>\n/, ''));
    expect(devicesOf(back).map((d) => d.settings)).toEqual(devicesOf(text).map((d) => d.settings));
  });

  test.each(['virsh-dumpxml.xml', 'firewall.xml'])('interface -> hostdev -> interface: %s', (name) => {
    const text = domainFixture(name);
    const vf = formatPciAddress(devicesOf(text).find((d) => d.style === 'interface')!.fields.vf!);
    const mid = convert(text, { target: onVf(vf, 'hostdev') });
    expect(mid.out).not.toBe(text);
    expect(convert(mid.out, { target: onVf(vf, 'interface') }).out).toBe(text);
  });

  test('hostdev -> network -> hostdev, given the same VF back', () => {
    const mid = convert(DUMP, { target: onVf('0000:01:10.2', 'network'), network: 'sriov' });
    const back = convert(mid.out, { target: (d) => (d.fields.mac === 'de:ad:fe:ed:ff:01' ? 'hostdev' : d.style), vfs: [pci('0000:01:10.2')] });
    expect(back.out).toBe(DUMP);
  });

  test('devices already in the style asked for are left as written', () => {
    for (const name of ['virsh-dumpxml.xml', 'firewall.xml', 'hand-edited.xml']) {
      const text = domainFixture(name);
      const r = convert(text, { target: (d) => d.style });
      expect(r.conversions).toEqual([]);
      expect(r.out).toBe(text);
    }
  });
});

describe('where the VLAN goes', () => {
  const WHEEZY = domainFixture('wheezy-hostdev.xml');

  test('a VLAN with a QoS stays in metadata: libvirt\'s <vlan> has no priority', () => {
    const { out } = convert(WHEEZY, { target: 'interface' });
    expect(metadataEntries(out)).toEqual([
      { 'interface-mac': 'de:ad:fe:ed:ff:02', vlan: '404', qos: '3', spoofchk: 'off' },
    ]);
    expect(out).toContain("<mac address='de:ad:fe:ed:ff:01'/>\n      <source>\n        <address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>\n      </source>\n      <vlan>\n        <tag id='403'/>");
    expect(out.match(/<vlan>/g)).toHaveLength(1);
    expect(devicesOf(out).map((d) => d.settings.vlan)).toEqual([{ id: 403 }, { id: 404, qos: 3 }]);
  });

  test('with vlanInXml=false (libvirt < 0.10.0) every VLAN goes to metadata, the MAC still to the XML', () => {
    const { out } = convert(WHEEZY, { target: 'interface', vlanInXml: false });
    expect(out).not.toContain('<vlan>');
    expect(metadataEntries(out)).toEqual([
      { 'interface-mac': 'de:ad:fe:ed:ff:01', vlan: '403' },
      { 'interface-mac': 'de:ad:fe:ed:ff:02', vlan: '404', qos: '3', spoofchk: 'off' },
    ]);
    expect(out).toContain("<mac address='de:ad:fe:ed:ff:01'/>");
  });

  test('to network style with vlanInXml=false the VLAN stays in metadata too', () => {
    const { out } = convert(DUMP, { target: only('interface', 'network'), network: 'sriov', vlanInXml: false });
    expect(metadataEntries(out)).toContainEqual({ 'interface-mac': '52:54:00:6b:02:02', vlan: '42' });
    expect(elementText(out, "<mac address='52:54:00:6b:02:02'/>", '</interface>')).not.toContain('<vlan>');
  });

  test('to hostdev style MAC and VLAN always go to metadata', () => {
    const { out } = convert(domainFixture('firewall.xml'), { target: 'hostdev', vfs: [pci('0000:01:10.6')] });
    expect(metadataEntries(out)).toEqual([
      { pci: '0000:01:10.2', mac: 'de:ad:fe:ed:ff:01', vlan: '403', trust: 'on', spoofchk: 'off', 'max-tx-rate': '1000' },
      { pci: '0000:01:10.4', mac: '52:54:00:6a:02:02', vlan: '42' },
      { pci: '0000:01:10.6', mac: '52:54:00:6a:03:03', vlan: '500' },
    ]);
    expect(out).not.toMatch(/<mac address='52:54:00:6a:0[23]/);
    expect(out).not.toContain('<vlan>');
  });
});

describe('a network-style device must be found by its MAC', () => {
  const NO_MAC = `<domain type='kvm'>
  <name>vm1</name>
  <metadata>
    <sriov:vfs xmlns:sriov='http://virt-sriov.org/xmlns/domain/1.0'>
      <sriov:vf pci='0000:01:10.2' trust='on' max-tx-rate='100'/>
      <sriov:vf pci='0000:01:10.4' vlan='42'/>
    </sriov:vfs>
  </metadata>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>
      </source>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0000' bus='0x01' slot='0x10' function='0x4'/>
      </source>
    </hostdev>
  </devices>
</domain>
`;

  test('one with settings for metadata and no MAC gets a generated, locally administered MAC, and a warning', () => {
    const { out, warnings } = convert(NO_MAC, { target: 'network', network: 'sriov' });
    const [first, second] = devicesOf(out);
    const mac = first!.fields.mac!;
    expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(parseInt(mac.slice(0, 2), 16) & 0b11).toBe(0b10);
    expect(warnings).toEqual([
      `domain vm1, hostdev 0000:01:10.2: gave it MAC ${mac} so that its virt-sriov settings can find it on the network`,
      `domain vm1, hostdev 0000:01:10.4: gave it MAC ${second!.fields.mac} so that its virt-sriov settings can find it on the network`,
    ]);
    expect(metadataEntries(out)).toEqual([{ 'interface-mac': mac, trust: 'on', 'max-tx-rate': '100' }, { 'interface-mac': second!.fields.mac }]);
    expect(first!.settings).toEqual({ mac, trust: true, maxTxRate: 100 });
    // the second's VLAN fits the XML, but its VF and managed='yes' are kept for the way back: it needs a MAC too
    expect(second!.fields).toMatchObject({ network: 'sriov', vlan: { id: 42 } });
    expect(second!.entry?.kept).toMatchObject({ vf: pci('0000:01:10.4'), attributes: { managed: 'yes' }, generatedMac: second!.fields.mac });
  });

  test('two of them get two different MACs', () => {
    const both = NO_MAC.replace("vlan='42'", "spoofchk='off'");
    const macs = devicesOf(convert(both, { target: 'network', network: 'sriov' }).out).map((d) => d.fields.mac);
    expect(new Set(macs).size).toBe(2);
  });
});

describe('what a style can not hold moves to metadata, named, and comes back', () => {
  const MOVED = "moved to virt-sriov metadata: <hostdev mode='subsystem' type='pci'> can't hold it, so libvirt won't apply it until the device returns to a style that does";

  test('network -> hostdev: the portgroup and <model> move, <boot> stays (hand-edited, four-space file)', () => {
    const text = domainFixture('hand-edited.xml');
    const { out, moved, warnings } = convert(text, { target: (d) => (d.style === 'network' ? 'hostdev' : d.style), vfs: [pci('0000:01:11.0')] });
    expect(moved).toEqual([
      `domain db1, interface 52:54:00:db:00:03: <source portgroup='clients'> ${MOVED}`,
      `domain db1, interface 52:54:00:db:00:03: <model type='virtio'> ${MOVED}`,
    ]);
    expect(warnings).toEqual([]);
    const el = elementText(out, '<hostdev', '</hostdev>');
    expect(el).toContain('<boot order="1"/>');
    expect(el).not.toContain('<model');
    expect(el).toContain('<address domain="0x0000" bus="0x01" slot="0x11" function="0x0"/>');
    // and back: the network, its portgroup and the <model> return, the VF is forgotten
    const back = convert(out, { target: onVf('0000:01:11.0', 'network') });
    expect(back.moved).toEqual([]);
    expect(back.out).toBe(text);
  });

  test('<teaming> stays in the XML of every style', () => {
    const text = domainFixture('virsh-dumpxml.xml').replace("<tag id='42'/>\n      </vlan>\n", "<tag id='42'/>\n      </vlan>\n      <teaming type='transient' persistent='ua-backup0'/>\n");
    for (const to of ['hostdev', 'network'] as const) {
      const r = convert(text, { target: only('interface', to), network: 'sriov' });
      expect(r.moved.filter((m) => m.includes('teaming'))).toEqual([]);
      expect(r.out).toContain("<teaming type='transient' persistent='ua-backup0'/>");
    }
  });

  test('a part newer than the target libvirt moves too: <teaming> for a libvirt before 6.1.0', () => {
    const text = domainFixture('virsh-dumpxml.xml').replace("<tag id='42'/>\n      </vlan>\n", "<tag id='42'/>\n      </vlan>\n      <teaming type='transient' persistent='ua-backup0'/>\n");
    const r = convert(text, { target: only('interface', 'hostdev'), libvirt: version('5.0.0') });
    expect(r.moved.filter((m) => m.includes('<teaming'))).toHaveLength(1);
    expect(elementText(r.out, "<hostdev mode='subsystem' type='pci' managed='yes'>\n      <driver", '</hostdev>')).not.toContain('teaming');
    expect(convert(r.out, { target: onVf('0000:01:10.4', 'interface') }).out).toBe(text);
  });

  test('--strict refuses instead, and changes nothing', () => {
    const text = domainFixture('hand-edited.xml');
    const doc = DomainXml.parse(text, 'x');
    const e = inputError(() => convertDomain(doc, {
      target: (d) => (d.style === 'network' ? 'hostdev' : d.style), vfs: [pci('0000:01:11.0')], strict: true, vlanInXml: true, context: igbContext(),
    }));
    expect(e.message).toContain("<model type='virtio'>");
    expect(doc.toString()).toBe(text);
  });
});

describe('conversions that can not be done fail clearly and leave the document as it was', () => {
  test('network -> a pinned style without a VF', () => {
    const doc = DomainXml.parse(DUMP, 'x');
    const e = inputError(() => convertDomain(doc, { target: 'hostdev', vlanInXml: true, context: igbContext() }));
    expect(e.message).toBe("domain edge-router, interface 52:54:00:6b:03:03: on network 'sriov' it has no VF of its own, and <hostdev mode='subsystem' type='pci'> needs one");
    expect(e.fix).toMatch(/--vf PCI_ADDRESS/);
    // the hostdev and the interface before it would have converted: nothing did
    expect(doc.toString()).toBe(DUMP);
  });

  test('-> network without a network name', () => {
    const text = domainFixture('firewall.xml');
    const doc = DomainXml.parse(text, 'x');
    const e = inputError(() => convertDomain(doc, { target: 'network', vlanInXml: true, context: igbContext() }));
    expect(e.message).toBe('domain fw1, hostdev 0000:01:10.2: converting to network style needs the name of a hostdev network');
    expect(e.fix).toMatch(/--network NAME/);
    expect(doc.toString()).toBe(text);
  });

  test('a device whose settings conflict stops the conversion before anything changes', () => {
    const text = DUMP.replace('max-tx-rate="1000"', 'max-tx-rate="1000" vlan="501"');
    const doc = DomainXml.parse(text, 'x');
    expect(() => convertDomain(doc, { target: 'hostdev', vlanInXml: true, context: igbContext(), vfs: [pci('0000:01:10.6')] })).toThrow(/VLAN is 500 in the XML but 501/);
    expect(doc.toString()).toBe(text);
  });
});

describe('VFs for network-style devices', () => {
  test('a VF already pinned in the domain is not handed out again; the rest go in order', () => {
    const two = DUMP.replace(/(    <interface type='network'>\n      <mac address='52:54:00:6b:03:03'\/>[\s\S]*?<\/interface>\n)/, "$1    <interface type='network'>\n      <source network='sriov'/>\n    </interface>\n");
    const { out } = convert(two, { target: 'hostdev', vfs: ['0000:01:10.2', '0000:01:10.6', '0000:01:11.0'].map(pci) });
    expect(devicesOf(out).map((d) => formatPciAddress(d.fields.vf!))).toEqual(['0000:01:10.2', '0000:01:10.4', '0000:01:10.6', '0000:01:11.0']);
  });
});

describe('the layout of the file is kept', () => {
  test('a device written on one line stays on one line, in the file\'s quotes', () => {
    const text = domainFixture('hand-edited.xml');
    const { out } = convert(text, { target: (d) => (d.style === 'interface' ? 'hostdev' : d.style) });
    expect(out).toContain('        <!-- replication: a VF, written by hand on one line -->\n'
      + '        <hostdev mode="subsystem" type="pci" managed="yes"><source><address domain="0x0000" bus="0x01" slot="0x10" function="0x6"/></source></hostdev>\n'
      + '        <!-- clients: a VF from the pool -->\n');
    expect(metadataEntries(out)).toEqual([{ pci: '0000:01:10.6', mac: '52:54:00:db:00:02', vlan: '43' }]);
  });

  test('comments stay next to the device they describe', () => {
    const { out } = convert(domainFixture('firewall.xml'), { target: 'interface', vfs: [pci('0000:01:10.6')] });
    const outline = deviceOutline(out);
    expect(outline.slice(outline.indexOf('#comment outside: a VF on eth1 '), outline.indexOf('#comment outside: a VF on eth1 ') + 4))
      .toEqual(['#comment outside: a VF on eth1 ', 'interface hostdev', '#comment inside ', 'interface hostdev']);
  });

  test('only SR-IOV devices move: a PCI hostdev that is no VF stays a hostdev', () => {
    const { out } = convert(DUMP, { target: 'interface', vfs: [pci('0000:01:10.6')] });
    expect(out).toContain("<address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>\n      </source>\n      <rom bar='off'/>");
    expect(devicesOf(out).map((d) => d.style)).toEqual(['interface', 'interface', 'interface']);
  });
});
