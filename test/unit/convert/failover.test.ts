import { describe, expect, test } from '@jest/globals';
import { pairForFailover, parseStandbySource } from '../../../src/convert/failover.js';
import { InputError } from '../../../src/errors.js';
import { whyNoFailover } from '../../../src/versions/style-rules.js';
import { version } from '../../../src/versions/version.js';
import { child, childElements, type XmlElement } from '../../../src/xml/dom.js';
import { DomainXml } from '../../../src/xml/domain.js';
import { domainFixture, igbContext, metadataEntries } from '../helpers.js';

function pair(text: string, source = 'default') {
  const doc = DomainXml.parse(text, 'vm.xml');
  const result = pairForFailover(doc, doc.sriovDevices(igbContext()), parseStandbySource(source));
  return { out: doc.toString(), ...result };
}

function teamingOf(e: XmlElement): string | undefined {
  const t = child(e, 'teaming');
  return t ? `${t.getAttribute('type')} ${t.getAttribute('persistent') ?? ''}`.trim() : undefined;
}

/** Each <interface>/<hostdev> under <devices>: its type, MAC, <teaming> and alias, in order. */
function nics(xml: string) {
  const doc = DomainXml.parse(xml, 'x');
  return childElements(child(doc.root, 'devices')!).filter((e) => ['interface', 'hostdev'].includes(e.localName)).map((e) => ({
    kind: `${e.localName} ${e.getAttribute('type')}`,
    mac: child(e, 'mac')?.getAttribute('address'),
    teaming: teamingOf(e),
    alias: child(e, 'alias')?.getAttribute('name'),
    model: child(e, 'model')?.getAttribute('type'),
  }));
}

describe('failover pairs (convert --failover, attach --failover)', () => {
  test('every SR-IOV NIC gets a virtio standby with its MAC right before it, and names it in <teaming>', () => {
    const before = DomainXml.parse(domainFixture('virsh-dumpxml.xml'), 'x').sriovDevices(igbContext());
    const r = pair(domainFixture('virsh-dumpxml.xml'));
    expect(r.paired.map((p) => p.alias)).toEqual(['ua-sriov-standby', 'ua-sriov-standby1', 'ua-sriov-standby2']);
    const hostdevMac = r.paired[0]!.mac;
    expect(nics(r.out).slice(2)).toEqual([
      { kind: 'interface network', mac: hostdevMac, teaming: 'persistent', alias: 'ua-sriov-standby', model: 'virtio' },
      { kind: 'hostdev pci', mac: undefined, teaming: 'transient ua-sriov-standby', alias: undefined, model: undefined },
      { kind: 'interface network', mac: '52:54:00:6b:02:02', teaming: 'persistent', alias: 'ua-sriov-standby1', model: 'virtio' },
      { kind: 'interface hostdev', mac: '52:54:00:6b:02:02', teaming: 'transient ua-sriov-standby1', alias: undefined, model: undefined },
      { kind: 'interface network', mac: '52:54:00:6b:03:03', teaming: 'persistent', alias: 'ua-sriov-standby2', model: 'virtio' },
      { kind: 'interface network', mac: '52:54:00:6b:03:03', teaming: 'transient ua-sriov-standby2', alias: undefined, model: undefined },
      // a PCI device that is no VF is left alone
      { kind: 'hostdev pci', mac: undefined, teaming: undefined, alias: undefined, model: undefined },
    ]);
    // the <hostdev>'s MAC is in metadata (the hook sets it): its standby takes that one
    expect(hostdevMac).toBe('de:ad:fe:ed:ff:01');
    expect(r.warnings).toEqual([]);
    // read again, the standbys are not taken for VFs, and every VF keeps what it had
    const after = DomainXml.parse(r.out, 'x').sriovDevices(igbContext());
    expect(after.map((d) => [d.style, d.label, d.settings])).toEqual(before.map((d) => [d.style, d.label, d.settings]));
  });

  test('a VF with no MAC gets one on both halves: in metadata for a <hostdev>, in the XML for an <interface>', () => {
    const text = domainFixture('virsh-dumpxml.xml').replace(' mac="de:ad:fe:ed:ff:01"', '').replace("<mac address='52:54:00:6b:02:02'/>\n      <driver", '<driver');
    const r = pair(text);
    const [hostdev, iface] = r.paired;
    expect(r.warnings).toEqual([
      expect.stringContaining(`hostdev 0000:01:10.2: gave it MAC ${hostdev!.mac}, which its failover standby shares`),
      expect.stringContaining(`gave it MAC ${iface!.mac}`),
    ]);
    expect(metadataEntries(r.out)).toContainEqual(expect.objectContaining({ pci: '0000:01:10.2', mac: hostdev!.mac, vlan: '403' }));
    expect(nics(r.out).filter((n) => n.mac === iface!.mac).map((n) => n.kind)).toEqual(['interface network', 'interface hostdev']);
    const after = DomainXml.parse(r.out, 'x').sriovDevices(igbContext());
    expect(after.map((d) => d.settings.mac)).toEqual([hostdev!.mac, iface!.mac, '52:54:00:6b:03:03']);
  });

  test('pairing again changes nothing: a VF in a pair stays in it', () => {
    const once = pair(domainFixture('virsh-dumpxml.xml')).out;
    const again = pair(once);
    expect(again.paired).toEqual([]);
    expect(again.already).toHaveLength(3);
    expect(again.out).toBe(once);
  });

  test('a host bridge as the standby\'s way out', () => {
    const r = pair(domainFixture('virsh-dumpxml.xml'), 'bridge:br-mig');
    expect(r.out).toContain("<interface type='bridge'>\n      <mac address='52:54:00:6b:02:02'/>\n      <source bridge='br-mig'/>\n      <model type='virtio'/>\n      <teaming type='persistent'/>\n      <alias name='ua-sriov-standby1'/>\n    </interface>");
  });

  test('a VF whose <teaming> names no standby is refused, nothing changed', () => {
    const text = domainFixture('virsh-dumpxml.xml').replace("<tag id='42'/>\n      </vlan>\n", "<tag id='42'/>\n      </vlan>\n      <teaming type='transient' persistent='ua-gone'/>\n");
    const doc = DomainXml.parse(text, 'vm.xml');
    expect(() => pairForFailover(doc, doc.sriovDevices(igbContext()), { network: 'default' })).toThrow(InputError);
    expect(doc.toString()).toBe(text);
  });

  test('an alias already taken is not reused', () => {
    const text = domainFixture('virsh-dumpxml.xml').replace("<source bridge='br0'/>", "<source bridge='br0'/>\n      <alias name='ua-sriov-standby'/>");
    expect(pair(text).paired.map((p) => p.alias)).toEqual(['ua-sriov-standby1', 'ua-sriov-standby2', 'ua-sriov-standby3']);
  });

  test('--failover takes a network name or bridge:NAME, nothing that breaks the XML', () => {
    expect(parseStandbySource('default')).toEqual({ network: 'default' });
    expect(parseStandbySource('bridge:br0')).toEqual({ bridge: 'br0' });
    expect(() => parseStandbySource("a'b")).toThrow(InputError);
    expect(() => parseStandbySource(' ')).toThrow(InputError);
  });

  test('version rules: libvirt 6.1.0 and QEMU 4.2.0', () => {
    expect(whyNoFailover(version('6.1.0'), version('4.2.0'))).toBeNull();
    expect(whyNoFailover(version('9.0.0'), version('7.2.0'))).toBeNull();
    expect(whyNoFailover(version('6.0.0'), version('7.2.0'))).toMatch(/libvirt >= 6\.1\.0 \(this is 6\.0\.0\)/);
    expect(whyNoFailover(version('9.0.0'), version('4.1.1'))).toMatch(/qemu >= 4\.2\.0 \(this is 4\.1\.1\)/);
  });
});
