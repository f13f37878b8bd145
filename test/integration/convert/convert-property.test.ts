/**
 * `convert` on generated domains, around libvirt's schema: one to four SR-IOV devices in any of
 * the three styles, each with any of the parts libvirt allows there (managed or not, a driver
 * of either form, <source> attributes, teaming, virtualport, model, filterref, backend, link,
 * MTU, boot order, alias, ROM, ACPI index, guest address, comments), written as libvirt writes
 * them. To every style and back: no crash, output libvirt's schema accepts, each part the new
 * style can't hold named as it moves to metadata, nothing outside the devices and <metadata>
 * changed, and the way back byte for byte what came in.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { convertDomain } from '../../../src/convert/convert.js';
import { STYLES, type Style } from '../../../src/xml/devices/device-fields.js';
import { isElement } from '../../../src/xml/dom.js';
import { DomainXml, type DeviceContext } from '../../../src/xml/domain.js';
import type { KeptParts } from '../../../src/xml/metadata.js';
import { invalidDomains } from '../../support/libvirt-schema.js';
import { seedFor } from '../../support/hardening.js';
import { outsideDevices, pci } from '../../unit/helpers.js';

const POOLS = ['sriov', 'pool-b'];
const CTX: DeviceContext = { isVf: () => true, isHostdevNetwork: (n) => POOLS.includes(n) };

/** A part as libvirt formats it, where each style takes it (in the order libvirt prints them). */
const PART = {
  hostdevDriver: fc.constantFrom("<driver name='vfio'/>", "<driver name='kvm'/>"),
  virtioDriver: fc.constantFrom("<driver queues='4'/>", "<driver name='vhost' queues='2' rx_queue_size='256'/>"),
  virtualport: fc.constantFrom(
    "<virtualport type='802.1Qbg'>\n  <parameters managerid='11' typeid='1193047' typeidversion='2' instanceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/>\n</virtualport>",
    "<virtualport type='802.1Qbh'>\n  <parameters profileid='finance'/>\n</virtualport>"),
  model: fc.constantFrom("<model type='virtio'/>", "<model type='rtl8139'/>"),
  backend: fc.constant("<backend tap='/dev/net/tun' vhost='/dev/vhost-net'/>"),
  filterref: fc.constant("<filterref filter='clean-traffic'/>"),
  teaming: fc.constantFrom("<teaming type='persistent'/>", "<teaming type='transient' persistent='ua-backup0'/>"),
  link: fc.constantFrom("<link state='up'/>", "<link state='down'/>"),
  mtu: fc.constant("<mtu size='9000'/>"),
  boot: fc.integer({ min: 1, max: 9 }).map((n) => `<boot order='${n}'/>`),
  rom: fc.constantFrom("<rom bar='off'/>", "<rom bar='on' file='/etc/fake/bootrom.bin'/>"),
  acpi: fc.integer({ min: 1, max: 99 }).map((n) => `<acpi index='${n}'/>`),
  readonly: fc.constant('<readonly/>'),
  shareable: fc.constant('<shareable/>'),
};
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

interface Device { style: Style; text: (i: number) => string }

const indent = (block: string, by: string) => block.split('\n').map((l) => by + l).join('\n');
const lines = (parts: (string | undefined)[], by: string) => parts.filter((p): p is string => !!p).map((p) => indent(p, by)).join('\n');
const vf = (i: number) => ({ domain: '0x0000', bus: '0x03', slot: `0x${(0x10 + i).toString(16)}`, function: '0x1' });
const vfAttrs = (i: number) => Object.entries(vf(i)).map(([k, v]) => `${k}='${v}'`).join(' ');
const mac = (i: number) => `52:54:00:aa:00:${(0x10 + i).toString(16)}`;
const guest = (i: number) => `<address type='pci' domain='0x0000' bus='0x00' slot='0x${(0x08 + i).toString(16)}' function='0x0'/>`;
const alias = (i: number) => `<alias name='ua-sriov${i}'/>`;

const hostdev: fc.Arbitrary<Device> = fc.record({
  managed: maybe(fc.constantFrom('yes', 'no')), driver: maybe(PART.hostdevDriver),
  writeFiltering: maybe(fc.constantFrom('yes', 'no')), teaming: maybe(PART.teaming), boot: maybe(PART.boot),
  alias: fc.boolean(), rom: maybe(PART.rom), acpi: maybe(PART.acpi), address: fc.boolean(), readonly: maybe(PART.readonly),
}).map((p) => ({
  style: 'hostdev' as const,
  text: (i: number) => [
    `<hostdev mode='subsystem' type='pci'${p.managed ? ` managed='${p.managed}'` : ''}>`,
    lines([p.driver, `<source${p.writeFiltering ? ` writeFiltering='${p.writeFiltering}'` : ''}>\n  <address ${vfAttrs(i)}/>\n</source>`,
      p.teaming, p.boot, p.alias ? alias(i) : undefined, p.rom, p.acpi, p.address ? guest(i) : undefined, p.readonly], '  '),
    '</hostdev>'].join('\n'),
}));

/** The interface options both interface styles take, in libvirt's order after <source> and <vlan>. */
const options = fc.record({
  virtualport: maybe(PART.virtualport), model: maybe(PART.model), backend: maybe(PART.backend), filterref: maybe(PART.filterref),
  teaming: maybe(PART.teaming), link: maybe(PART.link), mtu: maybe(PART.mtu), boot: maybe(PART.boot), alias: fc.boolean(),
  rom: maybe(PART.rom), acpi: maybe(PART.acpi), address: fc.boolean(), trust: maybe(fc.constantFrom('yes', 'no')),
  mac: fc.boolean(), vlan: maybe(fc.integer({ min: 1, max: 4094 })), comment: fc.boolean(),
});
type Options = typeof options extends fc.Arbitrary<infer T> ? T : never;
const after = (o: Options, i: number, driver?: string) => [o.virtualport, o.model, driver, o.backend, o.filterref, o.teaming, o.link, o.mtu,
  o.boot, o.alias ? alias(i) : undefined, o.rom, o.acpi, o.address ? guest(i) : undefined];
const vlan = (o: Options) => (o.vlan ? `<vlan>\n  <tag id='${o.vlan}'/>\n</vlan>` : undefined);

const hostdevInterface: fc.Arbitrary<Device> = fc.record({
  o: options, managed: maybe(fc.constantFrom('yes', 'no')), driver: maybe(fc.oneof(PART.hostdevDriver, PART.virtioDriver)),
}).map(({ o, managed, driver }) => ({
  style: 'interface' as const,
  text: (i: number) => [
    `<interface type='hostdev'${managed ? ` managed='${managed}'` : ''}${o.trust ? ` trustGuestRxFilters='${o.trust}'` : ''}>`,
    lines([o.mac ? `<mac address='${mac(i)}'/>` : undefined, driver, o.comment ? '<!-- a VF -->' : undefined,
      `<source>\n  <address type='pci' ${vfAttrs(i)}/>\n</source>`, vlan(o), ...after(o, i)], '  '),
    '</interface>'].join('\n'),
}));

const networkInterface: fc.Arbitrary<Device> = fc.record({
  o: options, pool: fc.constantFrom(...POOLS), portgroup: maybe(fc.constantFrom('web', 'db')), driver: maybe(PART.virtioDriver),
}).map(({ o, pool, portgroup, driver }) => ({
  style: 'network' as const,
  text: (i: number) => [
    `<interface type='network'${o.trust ? ` trustGuestRxFilters='${o.trust}'` : ''}>`,
    lines([o.mac ? `<mac address='${mac(i)}'/>` : undefined, `<source network='${pool}'${portgroup ? ` portgroup='${portgroup}'` : ''}/>`,
      vlan(o), ...after(o, i, driver)], '  '),
    '</interface>'].join('\n'),
}));

const domain = fc.array(fc.oneof(hostdev, hostdevInterface, networkInterface), { minLength: 1, maxLength: 4 }).map((devices) => [
  "<domain type='kvm'>",
  '  <name>generated</name>',
  "  <memory unit='KiB'>524288</memory>",
  '  <os>',
  "    <type arch='x86_64' machine='pc'>hvm</type>",
  '  </os>',
  '  <devices>',
  '    <emulator>/usr/bin/qemu-system-x86_64</emulator>',
  ...devices.map((d, i) => indent(d.text(i), '    ')),
  "    <memballoon model='none'/>",
  '  </devices>',
  '</domain>',
  ''].join('\n'));


/** The parts of the device a <sriov:kept> holds that came from its XML: not its VF or network, nor a MAC convert made. */
const keptParts = (k: KeptParts) => k.children.filter(isElement).length + Object.keys(k.attributes).length + Object.keys(k.sourceAttributes).length;

const SPARE = ['0000:81:10.0', '0000:81:10.2', '0000:81:10.4', '0000:81:10.6'].map(pci);

describe('convert on generated domains', () => {
  const seed = seedFor();
  const inputs = fc.sample(domain, { numRuns: 60, seed });
  const outputs = new Map<string, string>();
  const failures: string[] = [];
  let named = 0;

  for (const [n, input] of inputs.entries()) {
    const from = DomainXml.parse(input, 'generated').sriovDevices(CTX).map((d) => d.style);
    for (const to of STYLES) {
      const doc = DomainXml.parse(input, 'generated');
      const { moved } = convertDomain(doc, { target: to, network: 'sriov', vfs: SPARE, vlanInXml: true, context: CTX });
      const output = doc.toString();
      // every part that left the XML for metadata is named: nothing is dropped silently
      const kept = DomainXml.parse(output, 'generated').metadata.entries().reduce((n, e) => n + (e.kept ? keptParts(e.kept) : 0), 0);
      named += moved.length;
      if (kept !== moved.length) failures.push(`#${n} -> ${to}: ${kept} parts kept in metadata, ${moved.length} named:\n${moved.join('\n')}\n${output}`);
      const again = DomainXml.parse(output, 'generated');
      let i = 0;
      convertDomain(again, { target: () => from[i++]!, vlanInXml: true, context: CTX, vfs: SPARE });
      outputs.set(`#${n} -> ${to}`, output);
      outputs.set(`#${n} -> ${to} -> back`, again.toString());
      if (outsideDevices(output, CTX) !== outsideDevices(input, CTX)) failures.push(`#${n} -> ${to}: something outside the devices changed\n${input}\n${output}`);
      if (again.toString() !== input) failures.push(`#${n} -> ${to} -> back: not what came in\n${input}\n${again.toString()}`);
    }
  }

  test(`(seed ${seed}) every generated domain passes libvirt's schema`, () => {
    expect(invalidDomains(new Map(inputs.map((x, n) => [`#${n}`, x])))).toEqual(new Map());
  });

  test('to every style: what moves to metadata is named, nothing outside the devices changes, and the way back is byte for byte what came in', () => {
    expect(failures.slice(0, 3)).toEqual([]);
    expect(named).toBeGreaterThan(inputs.length); // the generated domains do have parts some style can't hold
  });

  test('every output, there and back, passes libvirt\'s schema', () => {
    expect(invalidDomains(outputs)).toEqual(new Map());
  });
});
