/**
 * `convert` over domain XML that nobody on this team wrote: libvirt's own test files
 * (test/fixtures/corpus/SOURCES.md), every PCI function in them taken as a VF and every network
 * as a pool, converted to every style and back. The guarantees of issue 14: no crash; the output
 * passes libvirt's schema whenever the input does; nothing outside the converted devices and
 * <metadata> changes, byte for byte; the way back is byte for byte what came in.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { convertDomain } from '../../../src/convert/convert.js';
import { InputError } from '../../../src/errors.js';
import { formatPciAddress, type PciAddress } from '../../../src/model/pci-address.js';
import { STYLES, type Style } from '../../../src/xml/devices/device-fields.js';
import { DomainXml, type DeviceContext } from '../../../src/xml/domain.js';
import { invalidDomains } from '../../support/libvirt-schema.js';
import { fixturePath, outsideDevices, pci } from '../../unit/helpers.js';

const DIR = fixturePath('corpus');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.xml')).sort();
const read = (f: string) => readFileSync(`${DIR}/${f}`, 'utf8');

/** Every PCI function the domain names as a source is a VF; every network it names is a pool (SOURCES.md). */
function everything(xml: string): DeviceContext & { vfs: string[] } {
  const doc = DomainXml.parse(xml, 'corpus');
  const vfs = doc.pciSources().map((s) => formatPciAddress(s.address));
  const networks = new Set(Array.from(xml.matchAll(/<source network='([^']+)'/g), (m) => m[1]!).filter((n) => n !== 'mybridge'));
  return { vfs, isVf: () => true, isHostdevNetwork: (n) => networks.has(n) };
}


interface Run { file: string; to: Style; input: string; output: string; back: string; moved: string[] }

/** Conversions refused with an InputError (exit 2 at the CLI): a crash would be any other error. */
const REFUSED: string[] = [];

function runs(): Run[] {
  const out: Run[] = [];
  for (const file of FILES) {
    const input = read(file);
    const ctx = everything(input);
    // spare VFs for network-style devices going to a pinned style
    const spare = ['0000:81:10.0', '0000:81:10.2', '0000:81:10.4', '0000:81:10.6'].map(pci);
    for (const to of STYLES) {
      try {
        out.push(run(file, input, to, ctx, spare));
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        REFUSED.push(`${file} -> ${to}: ${e.message}`);
      }
    }
  }
  return out;
}

function run(file: string, input: string, to: Style, ctx: DeviceContext, spare: PciAddress[]): Run {
  const doc = DomainXml.parse(input, file);
  const from = doc.sriovDevices(ctx).map((d) => d.style);
  // devices on a pool keep theirs; pinned ones go to `sriov`
  const network = from.includes('network') ? undefined : 'sriov';
  const r = convertDomain(doc, { target: to, network, vfs: spare, vlanInXml: true, context: ctx });
  const output = doc.toString();
  const again = DomainXml.parse(output, file);
  let i = 0; // the target is asked once per device, in document order
  convertDomain(again, { target: () => from[i++]!, vlanInXml: true, context: ctx, vfs: spare });
  return { file, to, input, output, back: again.toString(), moved: r.moved };
}

const RUNS = runs();

describe('convert over libvirt\'s own test domains', () => {
  test('the corpus holds every style, and domains without SR-IOV devices', () => {
    const files = [...new Set(RUNS.map((r) => r.file))];
    const devices = (f: string) => DomainXml.parse(read(f), f).sriovDevices(everything(read(f)));
    expect([...new Set(files.flatMap((f) => devices(f).map((d) => d.style)))].sort()).toEqual(['hostdev', 'interface', 'network']);
    expect(files.filter((f) => devices(f).length === 0).length).toBeGreaterThanOrEqual(3);
  });

  test('the only refusals are of what a VF can\'t do, with the reason', () => {
    expect(REFUSED).toEqual([
      ...['hostdev', 'interface', 'network'].map((to) =>
        `net-virtio-network-portgroup.in.xml -> ${to}: domain QEMUGuest1, interface 00:11:22:33:44:55: VLAN 4095 is out of range (1-4094)`),
      // net-virtio-teaming-network gives a failover pair's standby and VF one MAC, as a pair must:
      // the standby (<teaming type='persistent'>) is never taken for the VF, so that is no refusal
    ]);
  });

  test('every input passes libvirt\'s schema, and so does every output', () => {
    expect(invalidDomains(new Map(FILES.map((f) => [f, read(f)])))).toEqual(new Map());
    const outputs = new Map(RUNS.flatMap((r) => [[`${r.file} -> ${r.to}`, r.output], [`${r.file} -> ${r.to} -> back`, r.back]]));
    expect(invalidDomains(outputs)).toEqual(new Map());
  });

  test.each(FILES)('%s: nothing outside the SR-IOV devices and <metadata> changes, byte for byte', (file) => {
    const ctx = everything(read(file));
    for (const r of RUNS.filter((x) => x.file === file)) expect([r.to, outsideDevices(r.output, ctx)]).toEqual([r.to, outsideDevices(r.input, ctx)]);
  });

  test.each(FILES)('%s: to every style and back is byte for byte what came in', (file) => {
    for (const r of RUNS.filter((x) => x.file === file)) expect([r.to, r.back]).toEqual([r.to, r.input]);
  });

  test('what a style can not hold is named, once per part', () => {
    const moved = RUNS.filter((r) => r.file === 'net-hostdev.out.xml' && r.to === 'hostdev').flatMap((r) => r.moved);
    expect(moved.map((m) => m.replace(/ moved to .*/, ''))).toEqual([
      "domain QEMUGuest1, interface 00:11:22:33:44:55: <virtualport type='802.1Qbg'>",
      "domain QEMUGuest1, interface 00:11:22:33:44:55: <model type='rtl8139'>",
    ]);
  });
});
