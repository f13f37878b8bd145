/**
 * Failover pairs over domain XML nobody on this team wrote (libvirt's own test files and ours):
 * every SR-IOV device, in every style, paired with a standby on a network and on a bridge.
 * libvirt's schema takes every result, and reading it again finds the same SR-IOV devices with
 * the same settings (a standby shares its VF's MAC and is never taken for a VF).
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { convertDomain } from '../../../src/convert/convert.js';
import { pairForFailover, type StandbySource } from '../../../src/convert/failover.js';
import { InputError } from '../../../src/errors.js';
import { formatPciAddress } from '../../../src/model/pci-address.js';
import { STYLES } from '../../../src/xml/devices/device-fields.js';
import { DomainXml, type DeviceContext } from '../../../src/xml/domain.js';
import { invalidDomains } from '../../support/libvirt-schema.js';
import { domainFixture, fixturePath, pci } from '../../unit/helpers.js';

const DIR = fixturePath('corpus');
const INPUTS = new Map([
  ...readdirSync(DIR).filter((f) => f.endsWith('.xml')).sort().map((f) => [f, readFileSync(`${DIR}/${f}`, 'utf8')] as const),
  ...['virsh-dumpxml.xml', 'firewall.xml'].map((f) => [f, domainFixture(f)] as const),
]);

function context(xml: string): DeviceContext {
  const doc = DomainXml.parse(xml, 'corpus');
  const vfs = new Set(doc.pciSources().map((s) => formatPciAddress(s.address)));
  const networks = new Set(Array.from(xml.matchAll(/<source network='([^']+)'/g), (m) => m[1]!).filter((n) => n !== 'mybridge' && n !== 'default'));
  return { isVf: (a) => vfs.has(formatPciAddress(a)) || formatPciAddress(a).startsWith('0000:01:1'), isHostdevNetwork: (n) => networks.has(n) || n === 'sriov' };
}

const SOURCES: StandbySource[] = [{ network: 'default' }, { bridge: 'br-mig' }];

interface Paired { name: string; xml: string; before: unknown; after: unknown; paired: number }

function pairs(): Paired[] {
  const out: Paired[] = [];
  for (const [file, input] of INPUTS) {
    const ctx = context(input);
    for (const to of STYLES) {
      for (const source of SOURCES) {
        const doc = DomainXml.parse(input, file);
        try {
          convertDomain(doc, { target: to, network: 'sriov', vfs: ['0000:81:10.0', '0000:81:10.2'].map(pci), vlanInXml: true, context: ctx });
        } catch (e) {
          if (e instanceof InputError) continue; // convert's refusals are corpus.test.ts's to check
          throw e;
        }
        const settings = (d: DomainXml) => d.sriovDevices(ctx).map((x) => [x.label, x.settings]);
        const before = settings(doc);
        const r = pairForFailover(doc, doc.sriovDevices(ctx), source);
        const xml = doc.toString();
        const after = settings(DomainXml.parse(xml, file));
        out.push({ name: `${file} -> ${to} + ${'network' in source ? 'network' : 'bridge'}`, xml, before, after, paired: r.paired.length });
      }
    }
  }
  return out;
}

const PAIRED = pairs();

describe('failover pairs over libvirt\'s own test domains', () => {
  test('pairs were made, in every style', () => {
    expect(PAIRED.filter((p) => p.paired > 0).length).toBeGreaterThanOrEqual(30);
    for (const to of STYLES) expect(PAIRED.some((p) => p.name.includes(`-> ${to} +`) && p.paired > 0)).toBe(true);
  });

  test('libvirt\'s schema takes every paired domain', () => {
    expect(invalidDomains(new Map(PAIRED.map((p) => [p.name, p.xml])))).toEqual(new Map());
  });

  test('read again, the SR-IOV devices are the same ones with the same settings (MACs given aside)', () => {
    const noMac = (list: unknown) => (list as [string, { mac?: string }][]).map(([label, s]) => [label.replace(/interface (\S+:)+\S+/, 'interface'), { ...s, mac: undefined }]);
    for (const p of PAIRED) expect([p.name, noMac(p.after)]).toEqual([p.name, noMac(p.before)]);
  });
});
