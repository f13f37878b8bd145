/**
 * readXml's tree (built by the checking parser) must read exactly as parseXml's DOM does:
 * the hooks decide from it which VF a guest gets and what goes on the VF.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatPciAddress } from '../../../src/model/pci-address.js';
import { ELEMENT_NODE, type XmlNode } from '../../../src/xml/dom.js';
import { parseXml, readXml } from '../../../src/xml/document.js';
import { DomainXml, type SriovDevice } from '../../../src/xml/domain.js';
import { fixturePath, igbContext } from '../helpers.js';

const SHARED_CAPTURES = new URL('../../../../shared/captures', import.meta.url).pathname;

function xmlFiles(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(xmlFiles(p));
    else if (name.endsWith('.xml')) out.push(p);
  }
  return out;
}

// (the daemon hook's stdin capture is empty: no document to compare)
const FILES = [...xmlFiles(fixturePath()), ...xmlFiles(SHARED_CAPTURES)].filter((f) => readFileSync(f, 'utf8').trim() !== '');

/** Everything a reader can see of a node and its subtree, as plain data. */
function outline(node: XmlNode): unknown {
  const kids = Array.from(node.childNodes, outline);
  if (node.nodeType !== ELEMENT_NODE) return { type: node.nodeType, text: node.textContent, kids };
  const el = node as unknown as import('../../../src/xml/dom.js').XmlElement;
  return {
    tag: el.tagName, local: el.localName, ns: el.namespaceURI, prefix: el.prefix,
    attrs: Array.from(el.attributes, (a) => [a.name, a.value, el.getAttribute(a.name), el.hasAttribute(a.name)]),
    text: el.textContent, kids,
    siblings: [el.previousSibling?.nodeType ?? null, el.nextSibling?.nodeType ?? null],
  };
}

function deviceData(d: SriovDevice) {
  const { vf, carried, driver, ...rest } = d.fields;
  return {
    style: d.style, label: d.label, settings: d.settings, entry: d.entry?.key, fields: rest,
    vf: vf && formatPciAddress(vf), carried: carried.map(outline), driver: driver && outline(driver),
  };
}

describe('readXml reads as parseXml does', () => {
  test(`the same tree for every fixture and capture (${FILES.length} files)`, () => {
    expect(FILES.length).toBeGreaterThan(20);
    for (const file of FILES) {
      const text = readFileSync(file, 'utf8');
      expect({ file, tree: outline(readXml(text, file).document) }).toEqual({ file, tree: outline(parseXml(text, file).document) });
    }
  });

  test('the same SR-IOV devices, sources and metadata for every domain among them', () => {
    let domains = 0;
    for (const file of FILES) {
      const text = readFileSync(file, 'utf8');
      if (!/^\s*(<\?xml[^>]*>\s*)?<domain[\s>]/.test(text)) continue;
      domains++;
      const [read, parsed] = [DomainXml.read(text, file), DomainXml.parse(text, file)];
      const view = (d: DomainXml) => {
        let devices: unknown;
        try {
          devices = d.sriovDevices(igbContext()).map(deviceData);
        } catch (e) {
          devices = (e as Error).message;
        }
        return { name: d.name, uuid: d.uuid, devices, sources: d.pciSources().map((s) => [formatPciAddress(s.address), s.label]), entries: d.metadata.entries() };
      };
      expect({ file, ...view(read) }).toEqual({ file, ...view(parsed) });
    }
    expect(domains).toBeGreaterThan(10);
  });

  test('namespaces, CDATA, comments, processing instructions and entities', () => {
    const text = `<?xml version="1.0"?>
<!-- before -->
<domain xmlns:a="urn:a" type='kvm'><name>x &amp; &lt;y&gt;</name>
  <metadata><a:thing a:k="v &quot;q&quot;" k='w'><![CDATA[<raw>]]>text<?pi some data?></a:thing><b xmlns="urn:b"><c/></b></metadata>
  <devices><!-- inside --></devices>
</domain>`;
    expect(outline(readXml(text, 't').document)).toEqual(outline(parseXml(text, 't').document));
  });

  test('generated documents: same tree, or both refuse them', () => {
    const name = fc.constantFrom('a', 'b', 'x:a', 'y:b', 'devices', 'hostdev');
    const attr = fc.tuple(fc.constantFrom('k', 'x:k', 'type', 'id'), fc.string({ maxLength: 6 }).map((s) => s.replace(/[<&"]/g, '')));
    const node: fc.Memo<string> = fc.memo((n) => fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.string({ maxLength: 8 }).map((s) => s.replace(/[<&\]]/g, '').replace(/\r/g, '')),
      fc.constant('<!-- c -->'), fc.constant('<![CDATA[ <x> ]]>'), fc.constant('&amp;&#65;'),
      n > 1 ? fc.tuple(name, fc.uniqueArray(attr, { selector: (a) => a[0], maxLength: 3 }), fc.array(node(n - 1), { maxLength: 4 }))
        .map(([t, attrs, kids]) => `<${t}${attrs.map(([k, v]) => ` ${k}="${v}"`).join('')}>${kids.join('')}</${t}>`) : fc.constant('<e/>'),
    ));
    fc.assert(fc.property(fc.array(node(4), { maxLength: 4 }), (kids) => {
      const text = `<root xmlns:x="urn:x">${kids.join('')}</root>`;
      let expected: unknown;
      try {
        expected = outline(parseXml(text, 't').document);
      } catch {
        expected = 'refused';
      }
      let actual: unknown;
      try {
        actual = outline(readXml(text, 't').document);
      } catch {
        actual = 'refused';
      }
      expect(actual).toEqual(expected);
    }), { numRuns: 300, seed: 7 });
  });
});

describe('a document read with readXml', () => {
  const read = () => DomainXml.read(readFileSync(fixturePath('domains', 'firewall.xml'), 'utf8'), 'firewall.xml');

  test('refuses every edit, saying how to get one that can be edited', () => {
    const { root } = read();
    expect(() => root.setAttribute('type', 'qemu')).toThrow(/read for reading only: parse it with parseXml/);
    expect(() => root.removeChild(root.childNodes[0]!)).toThrow(/reading only/);
    expect(() => root.ownerDocument.createElement('x')).toThrow(/reading only/);
    expect(() => {
      root.childNodes[0]!.textContent = 'x';
    }).toThrow(/reading only/);
  });

  test('is refused for the same malformed input, with the same message', () => {
    for (const bad of ['<domain><name>a</name>', '<!DOCTYPE x [<!ENTITY a "b">]><domain/>', '<domain><x:y/></domain>', '<domain>&bogus;</domain>']) {
      let parseError = '';
      try {
        parseXml(bad, 'in');
      } catch (e) {
        parseError = (e as Error).message;
      }
      expect(parseError).not.toBe('');
      expect(() => readXml(bad, 'in')).toThrow(parseError);
    }
  });
});
