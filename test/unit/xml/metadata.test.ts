import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../src/errors.js';
import { DomainXml } from '../../../src/xml/domain.js';
import { SRIOV_NS } from '../../../src/xml/metadata.js';
import { domainFixture, inputError, metadataEntries, pci } from '../helpers.js';

const SRIOV = `xmlns:sriov='${SRIOV_NS}'`;

function withEntries(...entries: string[]): string {
  return `<domain type='kvm'>\n  <name>vm1</name>\n  <metadata>\n    <sriov:vfs ${SRIOV}>\n${entries.map((e) => `      ${e}\n`).join('')}    </sriov:vfs>\n  </metadata>\n  <devices/>\n</domain>\n`;
}

function entriesError(xml: string): InputError {
  return inputError(() => DomainXml.parse(xml, 'vm1.xml').metadata.entries());
}

describe('reading virt-sriov metadata', () => {
  test('every setting, as the hook will apply it', () => {
    const xml = withEntries(
      "<sriov:vf pci='0000:01:10.2' mac='DE:AD:FE:ED:FF:01' vlan='403' qos='3' trust='on' spoofchk='off' link-state='disable' min-tx-rate='10' max-tx-rate='100' query-rss='yes'/>",
      "<sriov:vf interface-mac='52:54:00:AA:00:01' trust='false'/>",
    );
    expect(DomainXml.parse(xml, 'x').metadata.entries()).toEqual([
      {
        key: { pci: pci('0000:01:10.2') },
        settings: { mac: 'de:ad:fe:ed:ff:01', vlan: { id: 403, qos: 3 }, trust: true, spoofchk: false, linkState: 'disable', minTxRate: 10, maxTxRate: 100, queryRss: true },
      },
      { key: { mac: '52:54:00:aa:00:01' }, settings: { trust: false } },
    ]);
  });

  test('no <metadata>, or metadata of other tools only: no entries', () => {
    expect(DomainXml.parse(domainFixture('hand-edited.xml'), 'x').metadata.entries()).toEqual([]);
    expect(DomainXml.parse("<domain><name>a</name></domain>", 'x').metadata.entries()).toEqual([]);
  });

  test('elements of other namespaces inside <sriov:vfs> are skipped', () => {
    const xml = withEntries("<other:note xmlns:other='http://example.org/x'>hi</other:note>", "<sriov:vf pci='0000:01:10.2' trust='on'/>");
    expect(DomainXml.parse(xml, 'x').metadata.entries()).toHaveLength(1);
  });
});

describe('metadata errors name the domain and the entry; the hook must not guess', () => {
  test.each([
    ['an unknown attribute', "<sriov:vf pci='0000:01:10.2' colour='red'/>", /^domain vm1: unknown attribute 'colour' on a virt-sriov metadata entry$/],
    ['a prefixed attribute', "<sriov:vf pci='0000:01:10.2' sriov:trust='on'/>", /unknown attribute 'sriov:trust'/],
    ['both keys', "<sriov:vf pci='0000:01:10.2' interface-mac='52:54:00:aa:00:01' trust='on'/>", /needs exactly one of pci='...' or interface-mac='...'/],
    ['neither key', "<sriov:vf trust='on'/>", /needs exactly one of pci='...' or interface-mac='...'/],
    ['qos without a vlan', "<sriov:vf pci='0000:01:10.2' qos='3'/>", /^domain vm1, metadata for VF 0000:01:10\.2: qos='3' without a vlan$/],
    ['a VLAN out of range', "<sriov:vf pci='0000:01:10.2' vlan='4095'/>", /^domain vm1, metadata for VF 0000:01:10\.2: VLAN 4095 is out of range \(1-4094\)$/],
    ['a QoS out of range', "<sriov:vf pci='0000:01:10.2' vlan='10' qos='8'/>", /^domain vm1, metadata for VF 0000:01:10\.2: VLAN QoS 8 is out of range \(0-7\)$/],
    ['a VLAN that is no number', "<sriov:vf pci='0000:01:10.2' vlan='ten'/>", /^domain vm1, metadata for VF 0000:01:10\.2: vlan 'ten' is not a whole number$/],
    ['a multicast MAC', "<sriov:vf pci='0000:01:10.2' mac='33:33:00:00:00:01'/>", /^domain vm1, metadata for VF 0000:01:10\.2: MAC '33:33:00:00:00:01' is a multicast address/],
    ['an unknown link state', "<sriov:vf pci='0000:01:10.2' link-state='up'/>", /^domain vm1, metadata for VF 0000:01:10\.2: link state 'up' is unknown \(allowed: auto, enable, disable\)$/],
    ['a negative rate', "<sriov:vf pci='0000:01:10.2' max-tx-rate='-1'/>", /^domain vm1, metadata for VF 0000:01:10\.2: max tx rate -1 is out of range \(0-4294967295 Mbit\/s\)$/],
    ['min above max', "<sriov:vf pci='0000:01:10.2' min-tx-rate='200' max-tx-rate='100'/>", /min tx rate 200 is above max tx rate 100 Mbit\/s/],
    ['a rate with a fraction', "<sriov:vf pci='0000:01:10.2' min-tx-rate='1.5'/>", /^domain vm1, metadata for VF 0000:01:10\.2: min-tx-rate '1\.5' is not a whole number$/],
    ['an on/off that is neither', "<sriov:vf pci='0000:01:10.2' trust='maybe'/>", /^domain vm1, metadata for VF 0000:01:10\.2: trust 'maybe' is neither on nor off$/],
    ['a PCI key that is no address', "<sriov:vf pci='01:10' trust='on'/>", /^domain vm1, metadata entry: '01:10' is not a PCI address$/],
    ['a PCI key out of range', "<sriov:vf pci='0000:01:20.0' trust='on'/>", /^domain vm1, metadata entry: .*PCI slot 32 is out of range \(0-0x1f\)$/],
    ['a MAC key that is multicast', "<sriov:vf interface-mac='01:00:5e:00:00:01' trust='on'/>", /^domain vm1, metadata for interface 01:00:5e:00:00:01: MAC '01:00:5e:00:00:01' is a multicast address/],
    ['an unknown element', "<sriov:net name='x'/>", /^domain vm1: unknown element <sriov:net> in virt-sriov metadata$/],
  ])('%s', (_why, entry, message) => {
    const e = entriesError(withEntries(entry));
    expect(e.message).toMatch(message);
    expect(e.exitCode).toBe(2);
    expect(e.fix).toBeTruthy();
  });

  test('the known attributes are listed in the fix', () => {
    expect(entriesError(withEntries("<sriov:vf pci='0000:01:10.2' colour='red'/>")).fix)
      .toBe('known attributes: pci, interface-mac, vlan, qos, mac, trust, spoofchk, link-state, min-tx-rate, max-tx-rate, query-rss');
  });

  test('two entries for one VF, however the address is written, are an error', () => {
    const e = entriesError(withEntries("<sriov:vf pci='0000:01:10.2' trust='on'/>", "<sriov:vf pci='01:10.2' spoofchk='off'/>"));
    expect(e.message).toBe('domain vm1: two virt-sriov metadata entries for VF 0000:01:10.2');
    expect(entriesError(withEntries("<sriov:vf interface-mac='52:54:00:aa:00:01' trust='on'/>", "<sriov:vf interface-mac='52:54:00:AA:00:01'/>")).message)
      .toBe('domain vm1: two virt-sriov metadata entries for interface 52:54:00:aa:00:01');
  });
});

describe('writing virt-sriov metadata', () => {
  test('into a domain without <metadata>: created after <name>/<uuid>/<title>/<description>, indented like its neighbours', () => {
    const xml = "<domain type='kvm'>\n  <name>vm1</name>\n  <uuid>6f0c1d9e-58a3-4b7e-9a41-2c3d4e5f6a7b</uuid>\n  <title>t</title>\n  <memory unit='KiB'>1024</memory>\n  <devices/>\n</domain>\n";
    const doc = DomainXml.parse(xml, 'x');
    doc.metadata.put({ pci: pci('0000:01:10.2') }, { trust: true, vlan: { id: 403, qos: 3 } });
    expect(doc.toString()).toBe(`<domain type='kvm'>
  <name>vm1</name>
  <uuid>6f0c1d9e-58a3-4b7e-9a41-2c3d4e5f6a7b</uuid>
  <title>t</title>
  <metadata>
    <sriov:vfs xmlns:sriov='http://virt-sriov.org/xmlns/domain/1.0'>
      <sriov:vf pci='0000:01:10.2' vlan='403' qos='3' trust='on'/>
    </sriov:vfs>
  </metadata>
  <memory unit='KiB'>1024</memory>
  <devices/>
</domain>
`);
  });

  test('what is written reads back the same, every setting', () => {
    const doc = DomainXml.parse("<domain><name>a</name></domain>", 'x');
    const settings = { mac: 'de:ad:fe:ed:ff:01', vlan: { id: 4094, qos: 0 }, trust: false, spoofchk: true, linkState: 'auto' as const, minTxRate: 0, maxTxRate: 4294967295, queryRss: false };
    doc.metadata.put({ mac: '52:54:00:aa:00:01' }, settings);
    const again = DomainXml.parse(doc.toString(), 'x');
    expect(again.metadata.entries()).toEqual([{ key: { mac: '52:54:00:aa:00:01' }, settings }]);
  });

  test('next to foreign metadata, in its quotes: the other tools\' entries are untouched', () => {
    const text = domainFixture('hand-edited.xml');
    const doc = DomainXml.parse(text, 'x');
    doc.metadata.put({ pci: pci('0000:01:10.6') }, { vlan: { id: 43 } });
    const out = doc.toString();
    expect(out).toContain('        <inv:asset xmlns:inv="http://example.org/inventory/1" tag="A-1042" rack="R7 &amp; R8"/>\n'
      + '        <sriov:vfs xmlns:sriov="http://virt-sriov.org/xmlns/domain/1.0">\n'
      + '            <sriov:vf pci="0000:01:10.6" vlan="43"/>\n'
      + '        </sriov:vfs>\n    </metadata>');
    // removing it again gives back the file as it was
    doc.metadata.put({ pci: pci('0000:01:10.6') }, {});
    expect(doc.toString()).toBe(text);
  });

  test('an entry is replaced in place, and re-keyed when asked', () => {
    const doc = DomainXml.parse(domainFixture('wheezy-hostdev.xml'), 'x');
    doc.metadata.put({ mac: 'de:ad:fe:ed:ff:01' }, { vlan: { id: 403 } }, { pci: pci('0000:01:10.0') });
    expect(metadataEntries(doc.toString())).toEqual([
      { 'interface-mac': 'de:ad:fe:ed:ff:01', vlan: '403' },
      { pci: '0000:01:10.2', mac: 'de:ad:fe:ed:ff:02', vlan: '404', qos: '3', spoofchk: 'off' },
    ]);
  });

  test('entries read before a write give way to what was written (re-keyed, changed, removed)', () => {
    const doc = DomainXml.parse(domainFixture('wheezy-hostdev.xml'), 'x');
    expect(doc.metadata.entries()).toHaveLength(2);
    doc.metadata.put({ mac: 'de:ad:fe:ed:ff:01' }, { vlan: { id: 403 } }, { pci: pci('0000:01:10.0') });
    doc.metadata.put({ pci: pci('0000:01:10.2') }, {});
    expect(doc.metadata.entries()).toEqual([{ key: { mac: 'de:ad:fe:ed:ff:01' }, settings: { vlan: { id: 403 } } }]);
    expect(doc.metadata.find({ pci: pci('0000:01:10.0') })).toBeUndefined();
    doc.metadata.put({ mac: 'de:ad:fe:ed:ff:01' }, { vlan: { id: 404 } });
    expect(doc.metadata.find({ mac: 'de:ad:fe:ed:ff:01' })?.settings).toEqual({ vlan: { id: 404 } });
    expect(metadataEntries(doc.toString())).toEqual([{ 'interface-mac': 'de:ad:fe:ed:ff:01', vlan: '404' }]);
  });

  test('removing the last entry removes <sriov:vfs>, and <metadata> when nothing else is in it', () => {
    const doc = DomainXml.parse(domainFixture('wheezy-hostdev.xml'), 'x');
    doc.metadata.put({ pci: pci('0000:01:10.0') }, {});
    doc.metadata.put({ pci: pci('0000:01:10.2') }, {});
    const out = doc.toString();
    expect(out).not.toContain('metadata');
    expect(out).toBe(domainFixture('wheezy-hostdev.xml').replace(/  <metadata>[\s\S]*<\/metadata>\n/, ''));
  });

  test('removing ours keeps the other tools\' <metadata>', () => {
    const doc = DomainXml.parse(domainFixture('virsh-dumpxml.xml'), 'x');
    doc.metadata.put({ pci: pci('0000:01:10.2') }, {});
    doc.metadata.put({ mac: '52:54:00:6b:03:03' }, {});
    const out = doc.toString();
    expect(out).toContain('<libosinfo:os id="http://debian.org/debian/12"/>');
    expect(out).not.toContain('sriov:');
  });
});

describe('the metadata as virDomainSetMetadata takes it', () => {
  const declarations = (text: string) => [...text.matchAll(/xmlns:([\w.-]+)=/g)].map((m) => m[1]);
  const reread = (text: string) => DomainXml.parse(`<domain><name>vm1</name><metadata>${text}</metadata><devices/></domain>`, 'set').metadata.entries();

  test('our own: the namespace under a prefix of its own, declared once (libvirt declares the key\'s)', () => {
    const { key, xml } = DomainXml.parse(withEntries("<sriov:vf pci='0000:01:10.2' vlan='403'/>"), 'x').metadata.setMetadataText();
    expect(key).toBe('sriov');
    expect(declarations(xml!)).toEqual(['sriov0']);
    expect(xml).toContain("<sriov0:vf pci='0000:01:10.2' vlan='403'/>");
    expect(reread(xml!)).toEqual([{ key: { pci: pci('0000:01:10.2') }, settings: { vlan: { id: 403 } } }]);
  });

  test('as libvirt gives it back after a set (both prefixes declared): still declared once, so a second set is taken', () => {
    // what `virsh dumpxml` printed in the lab after attach --live had set the live metadata
    const live = `<domain type='qemu' id='1'>\n  <name>l2-linux</name>\n  <metadata>\n    <sriov0:vfs xmlns:sriov0="${SRIOV_NS}" xmlns:sriov="${SRIOV_NS}">\n`
      + '      <sriov0:vf pci="0000:01:10.0" mac="52:54:00:ee:00:21" vlan="472" trust="on"/>\n    </sriov0:vfs>\n  </metadata>\n  <devices/>\n</domain>\n';
    const domain = DomainXml.parse(live, 'live');
    domain.metadata.put({ pci: pci('0000:01:10.2') }, { trust: true });
    const { xml } = domain.metadata.setMetadataText();
    expect(declarations(xml!)).toEqual(['sriov0']);
    expect(xml).not.toMatch(/<\/?sriov:/);
    expect(reread(xml!).map((e) => e.settings)).toEqual([{ mac: '52:54:00:ee:00:21', vlan: { id: 472 }, trust: true }, { trust: true }]);
  });

  test('no entries left: null, libvirt then removes the element', () => {
    const domain = DomainXml.parse(withEntries("<sriov:vf pci='0000:01:10.2' vlan='403'/>"), 'x');
    domain.metadata.put({ pci: pci('0000:01:10.2') }, {});
    expect(domain.metadata.setMetadataText().xml).toBeNull();
  });
});
