import { describe, expect, test } from '@jest/globals';
import { chooseStyles } from '../../../src/convert/choose-style.js';
import { convertDomain } from '../../../src/convert/convert.js';
import { InputError } from '../../../src/errors.js';
import { parseVersion } from '../../../src/versions/version.js';
import { DomainXml } from '../../../src/xml/domain.js';
import { devicesOf, domainFixture, igbContext, metadataEntries, pci } from '../helpers.js';

const v = parseVersion;
const DUMP = domainFixture('virsh-dumpxml.xml'); // one device in each style: hostdev, interface, network
const targets = (libvirt: string, qemu: string, opts: { network?: string } = {}) => {
  const plan = chooseStyles(v(libvirt), v(qemu), opts);
  return { styles: devicesOf(DUMP).map(plan.target), vlanInXml: plan.vlanInXml };
};

describe("the best style that keeps the domain's intent", () => {
  test('Debian 12 (libvirt 9.0.0, qemu 7.2): pinned stays pinned, at its best (interface); the pool stays a pool', () => {
    expect(targets('9.0.0', '7.2.22')).toEqual({ styles: ['interface', 'interface', 'network'], vlanInXml: true });
  });

  test('--network moves every device onto the pool', () => {
    expect(targets('9.0.0', '7.2.22', { network: 'sriov' })).toEqual({ styles: ['network', 'network', 'network'], vlanInXml: true });
  });

  test('Debian 7 (libvirt 0.9.12, qemu-kvm 1.1.2): hostdev only, VLANs in metadata', () => {
    expect(targets('0.9.12', '1.1.2')).toEqual({ styles: ['hostdev', 'hostdev', 'hostdev'], vlanInXml: false });
  });

  test('Debian 7 with qemu-kvm 1.3 from backports: interface, but no pools and no <vlan> yet', () => {
    expect(targets('0.9.12', '1.3.0')).toEqual({ styles: ['interface', 'interface', 'interface'], vlanInXml: false });
  });

  test('a new libvirt with an old qemu: hostdev only, though <vlan> would be understood', () => {
    expect(targets('0.10.0', '1.2.0')).toEqual({ styles: ['hostdev', 'hostdev', 'hostdev'], vlanInXml: true });
  });

  test('--network where the pair has no pools: an error that says why and what to do', () => {
    let e: unknown;
    try {
      chooseStyles(v('0.9.12'), v('1.1.2'), { network: 'sriov' });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe('--network sriov: network style needs libvirt >= 0.10.0 (this is 0.9.12)');
    expect((e as InputError).fix).toBe('leave out --network to keep the VFs pinned (hostdev style)');
  });

  test('a forced style the pair can not run is refused, naming the pair and the choices', () => {
    expect(() => chooseStyles(v('0.9.12'), v('1.1.2'), { forced: 'interface' }))
      .toThrow("libvirt 0.9.12 with qemu 1.1.2 can't run interface style: interface style needs qemu >= 1.3.0 (this is 1.1.2)");
    const plan = chooseStyles(v('0.9.12'), v('1.1.2'), { forced: 'hostdev' });
    expect(devicesOf(DUMP).map(plan.target)).toEqual(['hostdev', 'hostdev', 'hostdev']);
  });
});

describe('the plan applied to realistic domains', () => {
  test('Debian 7: everything becomes a plain hostdev, MAC and VLAN in metadata for the hook', () => {
    const doc = DomainXml.parse(DUMP, 'x');
    const plan = chooseStyles(v('0.9.12'), v('1.1.2'), {});
    convertDomain(doc, { ...plan, context: igbContext(), vfs: [pci('0000:01:10.6')] });
    const out = doc.toString();
    expect(devicesOf(out).map((d) => d.style)).toEqual(['hostdev', 'hostdev', 'hostdev']);
    expect(out).not.toContain("<interface type='hostdev'");
    expect(out.match(/<interface type='network'>/g)).toHaveLength(1); // libvirt's NAT network, not ours
    expect(out).not.toContain('<vlan>');
    expect(metadataEntries(out)).toEqual([
      { pci: '0000:01:10.2', mac: 'de:ad:fe:ed:ff:01', vlan: '403', trust: 'on', spoofchk: 'off' },
      { pci: '0000:01:10.6', mac: '52:54:00:6b:03:03', vlan: '500', 'link-state': 'enable', 'max-tx-rate': '1000' },
      { pci: '0000:01:10.4', mac: '52:54:00:6b:02:02', vlan: '42' },
    ]);
  });

  test('the Debian 7 domain moved to Debian 12: its hostdevs become interfaces, VLAN into the XML unless it has a QoS', () => {
    const doc = DomainXml.parse(domainFixture('wheezy-hostdev.xml'), 'x');
    convertDomain(doc, { ...chooseStyles(v('9.0.0'), v('7.2.22'), {}), context: igbContext() });
    const found = devicesOf(doc.toString());
    expect(found.map((d) => [d.style, d.fields.mac, d.fields.vlan])).toEqual([
      ['interface', 'de:ad:fe:ed:ff:01', { id: 403 }],
      ['interface', 'de:ad:fe:ed:ff:02', undefined],
    ]);
    expect(found[1]!.settings).toEqual({ mac: 'de:ad:fe:ed:ff:02', vlan: { id: 404, qos: 3 }, spoofchk: false });
  });

  test('a domain already right for the pair is left byte for byte', () => {
    const doc = DomainXml.parse(domainFixture('firewall.xml').replace(/<hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address domain='0x0000' bus='0x01'[\s\S]*?<\/hostdev>\n    /, ''), 'x');
    const before = doc.toString();
    const r = convertDomain(doc, { ...chooseStyles(v('9.0.0'), v('7.2.0'), {}), context: igbContext() });
    expect(r.conversions).toEqual([]);
    expect(doc.toString()).toBe(before);
  });
});
