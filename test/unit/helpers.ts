/**
 * Shared by the unit tests: fixtures, a device context like the fake igb host's (VFs on bus 01,
 * slots 0x10 and up), and small readers of the XML a conversion wrote.
 */
import { expect } from '@jest/globals';
import { InputError } from '../../src/errors.js';
import { formatPciAddress, parsePciAddress, type PciAddress } from '../../src/model/pci-address.js';
import { childElements, child, isElement, type XmlElement } from '../../src/xml/dom.js';
import { removeElement } from '../../src/xml/edit.js';
import { DomainXml, type DeviceContext, type SriovDevice } from '../../src/xml/domain.js';
import { SRIOV_NS } from '../../src/xml/metadata.js';
import { readFixture } from '../support/fake-host.js';

export function domainFixture(name: string): string {
  return readFixture('domains', name);
}

export function fixturePath(...path: string[]): string {
  return new URL(`../fixtures/${path.join('/')}`, import.meta.url).pathname;
}

/** VFs are what an igb PF at 0000:01:00.0 creates (0000:01:10.0, :10.2, ...); `sriov` is a hostdev network. */
export function igbContext(opts: { networks?: string[]; vfs?: boolean } = {}): DeviceContext {
  const networks = new Set(opts.networks ?? ['sriov']);
  return {
    isVf: (a) => opts.vfs !== false && formatPciAddress(a).startsWith('0000:01:1'),
    isHostdevNetwork: (n) => networks.has(n),
  };
}

export const pci = parsePciAddress;

export function devicesOf(xml: string, ctx: DeviceContext = igbContext()): SriovDevice[] {
  return DomainXml.parse(xml, 'test').sriovDevices(ctx);
}

/** The children of <devices>, each as "tag" or "tag type" (comments as "#comment"), in order. */
export function deviceOutline(xml: string): string[] {
  const devices = child(DomainXml.parse(xml, 'test').root, 'devices')!;
  const out: string[] = [];
  for (const n of devices.childNodes) {
    if (n.nodeType === 8) out.push(`#comment${n.textContent}`);
    else if (n.nodeType === 1) {
      const el = n as XmlElement;
      out.push([el.tagName, el.getAttribute('type')].filter(Boolean).join(' '));
    }
  }
  return out;
}

/** The raw <sriov:vf> entries, as attribute maps, in document order. */
export function metadataEntries(xml: string): Record<string, string>[] {
  const md = child(DomainXml.parse(xml, 'test').root, 'metadata');
  if (!md) return [];
  const vfs = childElements(md).find((e) => e.namespaceURI === SRIOV_NS && e.localName === 'vfs');
  if (!vfs) return [];
  return childElements(vfs).map((e) => Object.fromEntries(Array.from(e.attributes).filter((a) => !a.name.startsWith('xmlns')).map((a) => [a.name, a.value])));
}

/** The source text of the element that starts on the line containing `marker`, up to its closing line. */
export function elementText(xml: string, startMarker: string, endTag: string): string {
  const start = xml.lastIndexOf('\n', xml.indexOf(startMarker)) + 1;
  const end = xml.indexOf(endTag, start) + endTag.length;
  if (xml.indexOf(startMarker) < 0 || end < endTag.length) throw new Error(`no ${startMarker} ... ${endTag} in the XML`);
  return xml.slice(start, end);
}

export function vfOf(d: SriovDevice): string | undefined {
  return d.fields.vf && formatPciAddress(d.fields.vf);
}

export type { PciAddress };

/** The document with its SR-IOV devices and virt-sriov's metadata taken out: what convert must not touch. */
export function outsideDevices(xml: string, ctx: DeviceContext): string {
  const doc = DomainXml.parse(xml, 'test');
  for (const d of doc.sriovDevices(ctx)) removeElement(d.element);
  const md = child(doc.root, 'metadata');
  const ours = md && childElements(md).find((e) => e.namespaceURI === SRIOV_NS);
  if (ours) removeElement(ours);
  if (md && !Array.from(md.childNodes).some(isElement)) removeElement(md);
  return doc.toString();
}

/** The InputError `f` throws (a test fails when it throws anything else, or nothing). */
export function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}
