import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { formatPciAddress } from '../../../src/model/pci-address.js';
import { vfHolders } from '../../../src/pool/vf-holders.js';
import { scanPciSources } from '../../../src/xml/device-scan.js';
import { DomainXml } from '../../../src/xml/domain.js';
import { captureStdin, listCaptureFiles, readFixture } from '../../support/fake-host.js';

const scanned = (xml: string) => scanPciSources(xml).map((s) => `${s.style} ${formatPciAddress(s.address)}`);
const fromDom = (xml: string) => DomainXml.parse(xml, 'test').pciSources().map((s) => s.label);

const domainFixtures = readdirSync(new URL('../../fixtures/domains', import.meta.url)).filter((f) => f.endsWith('.xml'));

describe('the scan finds the PCI devices the DOM finds', () => {
  test.each(listCaptureFiles().filter((f) => f.startsWith('qemu.')))('libvirt 9.0 capture %s', (file) => {
    const xml = captureStdin(file);
    expect(scanned(xml)).toEqual(fromDom(xml));
  });

  test.each(domainFixtures)('test/fixtures/domains/%s', (file) => {
    const xml = readFixture('domains', file);
    expect(scanned(xml)).toEqual(fromDom(xml));
  });

  test('the fixtures do name VFs in both styles (the comparison above is not vacuous)', () => {
    const all = domainFixtures.flatMap((f) => scanned(readFixture('domains', f)));
    expect(all.some((s) => s.startsWith('hostdev '))).toBe(true);
    expect(all.some((s) => s.startsWith('interface '))).toBe(true);
  });
});

const HOSTDEV = (fn: number) =>
  `<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x10' function='${fn}'/></source></hostdev>`;

describe('what is not a device is not mistaken for one', () => {
  const cases: [string, string][] = [
    ['a device commented out', `<devices><!-- ${HOSTDEV(1)} -->${HOSTDEV(2)}</devices>`],
    ['a device in a CDATA description', `<description><![CDATA[${HOSTDEV(1)}]]></description><devices>${HOSTDEV(2)}</devices>`],
    ['a hostdev-shaped element in namespaced metadata',
      `<metadata><x:hostdev xmlns:x='urn:x' mode='subsystem' type='pci'><x:source><x:address domain='0' bus='1' slot='0x10' function='1'/></x:source></x:hostdev></metadata><devices>${HOSTDEV(2)}</devices>`],
    ['a <source><address> in another namespace inside the device',
      `<devices><hostdev mode='subsystem' type='pci' xmlns:x='urn:x'><x:source><address domain='0' bus='1' slot='0x10' function='1'/></x:source><source><address domain='0' bus='1' slot='0x10' function='2'/></source></hostdev></devices>`],
    ['an <address> in another namespace inside <source>',
      `<devices><hostdev mode='subsystem' type='pci'><source xmlns:x='urn:x'><x:address domain='0' bus='1' slot='0x10' function='1'/><address domain='0' bus='1' slot='0x10' function='2'/></source></hostdev></devices>`],
    ['a default namespace on <devices>', `<devices xmlns='urn:x'>${HOSTDEV(1)}</devices><devices>${HOSTDEV(2)}</devices>`],
    ['a second <devices> (libvirt reads the first)', `<devices>${HOSTDEV(2)}</devices><devices>${HOSTDEV(1)}</devices>`],
    ['the guest-side <address> of the device', `<devices><hostdev mode='subsystem' type='pci'><address type='pci' domain='0' bus='0' slot='5' function='0'/><source><address domain='0' bus='1' slot='0x10' function='2'/></source></hostdev></devices>`],
  ];
  test.each(cases)('%s', (_, inner) => {
    const xml = `<domain type='kvm'><name>vm</name>${inner}</domain>`;
    expect(scanned(xml)).toEqual(['hostdev 0000:01:10.2']);
    expect(fromDom(xml)).toEqual(['hostdev 0000:01:10.2']);
  });

  test.each([
    ['double quotes, spaces around =, a > in a value', `<devices><hostdev type = "pci" mode="subsystem" note="a>b"><source><address domain="0" bus = "1" slot="0x10" function="2"/></source></hostdev></devices>`],
    ['character references in the address', `<devices><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='&#49;' slot='0x10' function='&#x32;'/></source></hostdev></devices>`],
    ['markup-like text in comments, CDATA and processing instructions', `<!-- <devices> --><?pi <devices>?><devices><![CDATA[</devices>]]>${HOSTDEV(2)}<!-- </devices> --></devices>`],
    ['an XML declaration and a comment before the root', ''],
  ])('written by hand: %s', (what, inner) => {
    const xml = what.startsWith('an XML declaration')
      ? `<?xml version='1.0'?>\n<!-- vm -->\n<domain type='kvm'><name>vm</name><devices>${HOSTDEV(2)}</devices></domain>\n`
      : `<domain type='kvm'><name>vm</name>${inner}</domain>`;
    expect(scanned(xml)).toEqual(['hostdev 0000:01:10.2']);
    expect(fromDom(xml)).toEqual(['hostdev 0000:01:10.2']);
  });

  test.each([
    ['a tag left open', `<domain><name>vm</name><devices>${HOSTDEV(1)}</domain>`],
    ['tags closed in the wrong order', `<domain><name>vm</name><devices><hostdev></devices></hostdev></domain>`],
    ['an unquoted attribute', `<domain><name>vm</name><devices><hostdev type=pci/></devices></domain>`],
    ['a comment never closed', `<domain><name>vm</name><devices><!-- ${HOSTDEV(1)}</devices></domain>`],
    ['a DOCTYPE', `<!DOCTYPE domain><domain><name>vm</name><devices>${HOSTDEV(1)}</devices></domain>`],
    ['an element prefix never declared', `<domain><name>vm</name><devices><x:hostdev mode='subsystem' type='pci'/>${HOSTDEV(1)}</devices></domain>`],
    ['a second root', `<domain><name>vm</name></domain><domain><name>vm</name><devices>${HOSTDEV(1)}</devices></domain>`],
  ])('refused, as the DOM refuses it: %s', (_, xml) => {
    expect(() => scanPciSources(xml)).toThrow();
    expect(() => DomainXml.parse(xml, 'test')).toThrow();
  });

  test('USB and capabilities hostdevs, network interfaces and a hostdev without a readable address name no PCI device', () => {
    const xml = `<domain type='kvm'><name>vm</name><devices>
      <hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/><product id='0x2'/></source></hostdev>
      <hostdev mode='capabilities' type='pci'><source><address domain='0' bus='1' slot='0x10' function='1'/></source></hostdev>
      <interface type='network'><source network='sriov'/></interface>
      <hostdev mode='subsystem' type='pci'><source><address bus='1' slot='0x10'/></source></hostdev>
      <interface type='hostdev'><source><address type='pci' domain='0' bus='1' slot='0x10' function='3'/></source></interface>
    </devices></domain>`;
    expect(scanned(xml)).toEqual(['interface 0000:01:10.3']);
    expect(fromDom(xml)).toEqual(['interface 0000:01:10.3']);
  });

  test('a domain without the word hostdev names nothing, unless a character reference spells it', () => {
    const plain = `<domain type='kvm'><name>vm</name><devices><interface type='network'><source network='default'/></interface></devices></domain>`;
    expect(scanned(plain)).toEqual([]);
    const spelled = `<domain type='kvm'><name>vm</name><devices><interface type='&#104;ostdev'><source><address type='pci' domain='0' bus='1' slot='0x10' function='3'/></source></interface></devices></domain>`;
    expect(scanned(spelled)).toEqual(['interface 0000:01:10.3']);
    expect(fromDom(spelled)).toEqual(['interface 0000:01:10.3']);
  });

  test("each device's MAC and alias: the admin's names for the guest's NIC", () => {
    const xml = `<domain type='kvm'><name>vm</name><devices>
      <interface type='hostdev' managed='yes'><mac address='52:54:00:AA:00:01'/><source><address type='pci' domain='0' bus='1' slot='0x10' function='0'/></source><alias name='ua-wan'/></interface>
      <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='1' slot='0x10' function='2'/></source><alias name='hostdev0'/></hostdev>
      <interface type='network'><mac address='52:54:00:aa:00:09'/><source network='default'/><alias name='net0'/></interface>
      <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='1' slot='0x10' function='4'/></source></hostdev>
    </devices></domain>`;
    expect(scanPciSources(xml).map(({ style, mac, alias }) => ({ style, mac, alias }))).toEqual([
      { style: 'interface', mac: '52:54:00:aa:00:01', alias: 'ua-wan' },
      { style: 'hostdev', mac: null, alias: 'hostdev0' },
      { style: 'hostdev', mac: null, alias: null },
    ]);
  });

  test('a guest seen in its XML and in its hook record: the MAC from the record fills what a <hostdev> lacks', () => {
    const xml = `<domain><name>fw</name><devices>${HOSTDEV(2)}</devices></domain>`;
    const record = { pf: 'eth0', index: 1, pci: '0000:01:10.2', owner: { name: 'fw', uuid: null }, style: 'hostdev', network: null, original: null,
      guest: { mac: '52:54:00:fe:00:01' }, phase: 'running', updated: '2026-12-05T00:00:00Z' } as const;
    expect(vfHolders([{ name: 'fw', running: true, xml: [xml] }], [record]).get('0000:01:10.2')).toEqual({ domain: 'fw', running: true, mac: '52:54:00:fe:00:01', alias: null });
  });

  test('a document that is not a libvirt domain names nothing', () => {
    expect(scanned(`<network><devices>${HOSTDEV(1)}</devices></network>`)).toEqual([]);
    expect(scanned(`<domain xmlns='urn:x'><devices>${HOSTDEV(1)}</devices></domain>`)).toEqual([]);
  });
});

describe('the scan and the DOM agree on any mix of devices, comments and foreign elements', () => {
  const q = fc.constantFrom("'", '"');
  const hex = (n: number) => `0x${n.toString(16)}`;
  const address = fc.record({ bus: fc.integer({ min: 0, max: 0x1ff }), slot: fc.integer({ min: 0, max: 0x1f }), fn: fc.integer({ min: 0, max: 8 }), quote: q })
    .map(({ bus, slot, fn, quote: a }) => `<address domain=${a}0x0000${a} bus=${a}${hex(bus)}${a} slot=${a}${hex(slot)}${a} function=${a}${fn}${a}/>`);
  const device = fc.oneof(
    fc.tuple(address, q, fc.constantFrom('pci', 'usb'), fc.constantFrom('subsystem', 'capabilities'))
      .map(([a, x, type, mode]) => `<hostdev mode=${x}${mode}${x} type=${x}${type}${x} managed='yes'>\n  <source>${a}</source>\n  <address type='pci' domain='0' bus='0' slot='3' function='0'/></hostdev>`),
    fc.tuple(address, fc.constantFrom('hostdev', 'network', 'bridge'))
      .map(([a, type]) => `<interface type='${type}'><mac address='52:54:00:00:00:01'/><source>${a}</source><vlan><tag id='4'/></vlan></interface>`),
    address.map((a) => `<!-- <hostdev mode='subsystem' type='pci'><source>${a}</source></hostdev> -->`),
    address.map((a) => `<x:hostdev xmlns:x='urn:x' mode='subsystem' type='pci'><x:source>${a}</x:source></x:hostdev>`),
    address.map((a) => `<hostdev mode='subsystem' type='pci'><source xmlns='urn:x'>${a}</source></hostdev>`),
    fc.constant("<disk type='file'><source file='/a&amp;b.img'/></disk>"),
  );
  const domain = fc.tuple(fc.array(device, { maxLength: 8 }), fc.array(device, { maxLength: 3 }), fc.boolean())
    .map(([devices, elsewhere, cdata]) => `<domain type='kvm'>\n  <name>vm</name>\n`
      + (cdata ? `  <description><![CDATA[${elsewhere.join('')}]]></description>\n` : `  <metadata><m:x xmlns:m='urn:m'>${elsewhere.join('')}</m:x></metadata>\n`)
      + `  <devices>\n    ${devices.join('\n    ')}\n  </devices>\n</domain>\n`);

  test('same devices, same order', () => {
    fc.assert(fc.property(domain, (xml) => {
      expect(scanned(xml)).toEqual(fromDom(xml));
    }), { numRuns: 300 });
  });
});

describe('who holds which VF', () => {
  test("a running domain's live XML and a defined domain's persistent XML both count; running wins; an unreadable domain holds nothing", () => {
    const dom = (devices: string) => `<domain type='kvm'><name>x</name><devices>${devices}</devices></domain>`;
    const holders = vfHolders([
      { name: 'off', running: false, xml: [dom(HOSTDEV(1) + HOSTDEV(2))] },
      { name: 'on', running: true, xml: [dom(''), dom(HOSTDEV(2))] },
      { name: 'broken', running: true, xml: [`<domain><devices>${HOSTDEV(3)}`] },
    ]);
    expect(Object.fromEntries(holders)).toEqual({
      '0000:01:10.1': { domain: 'off', running: false, mac: null, alias: null },
      '0000:01:10.2': { domain: 'on', running: true, mac: null, alias: null },
    });
  });
});
