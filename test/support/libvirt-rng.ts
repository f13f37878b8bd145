/**
 * What libvirt's RELAX NG schema allows under one device element, read from the schema itself
 * (/usr/share/libvirt/schemas, from the libvirt0 package): the element's attributes, its
 * children, and its <source>'s attributes. A branch of the schema that fixes an attribute to
 * another value (<interface type='bridge'>, <hostdev type='usb'>) is not this style's and is
 * not followed. For the style table's schema test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseXml } from '../../src/xml/document.js';
import { childElements, type XmlElement } from '../../src/xml/dom.js';
import { SCHEMAS } from './libvirt-schema.js';

export interface SchemaShape {
  readonly attributes: Set<string>;
  readonly children: Set<string>;
  readonly sourceAttributes: Set<string>;
}

/** Every <define> of the schema and of what it includes, by name (combine= definitions merged). */
function defines(file: string, into = new Map<string, XmlElement[]>(), seen = new Set<string>()): Map<string, XmlElement[]> {
  if (seen.has(file)) return into;
  seen.add(file);
  const root = parseXml(readFileSync(join(SCHEMAS, file), 'utf8'), file).root;
  for (const el of childElements(root)) {
    if (el.localName === 'include') defines(el.getAttribute('href')!, into, seen);
    if (el.localName === 'define') into.set(el.getAttribute('name')!, [...(into.get(el.getAttribute('name')!) ?? []), el]);
  }
  return into;
}

/** The values an <attribute> pattern allows, when it lists them (<value>, or a <choice> of them). */
function allowedValues(attr: XmlElement): string[] | null {
  const kids = childElements(attr);
  const values = kids.length === 1 && kids[0]!.localName === 'choice' ? childElements(kids[0]!) : kids;
  return values.length && values.every((v) => v.localName === 'value') ? values.map((v) => (v.textContent ?? '').trim()) : null;
}

export function schemaShape(element: string, fixed: Readonly<Record<string, string>>, start = 'domaincommon.rng'): SchemaShape {
  const defs = defines(start);
  // a pattern fixing one of the style's attributes to another value belongs to another style
  const conflicts = (pattern: XmlElement) => childElements(pattern).some((c) => {
    if (c.localName !== 'attribute') return false;
    const name = c.getAttribute('name');
    const values = allowedValues(c);
    return name !== null && name in fixed && values !== null && !values.includes(fixed[name]!);
  });
  /** Walk a pattern without entering elements: report the attributes and elements met. */
  const walk = (pattern: XmlElement, onAttribute: (n: string) => void, onElement: (el: XmlElement) => void, seen: Set<string>) => {
    if (conflicts(pattern)) return;
    for (const c of childElements(pattern)) {
      switch (c.localName) {
        case 'attribute': if (c.getAttribute('name')) onAttribute(c.getAttribute('name')!); break;
        case 'element': onElement(c); break;
        case 'ref': {
          const name = c.getAttribute('name')!;
          if (seen.has(name)) break;
          for (const d of defs.get(name) ?? []) walk(d, onAttribute, onElement, new Set([...seen, name]));
          break;
        }
        case 'value': case 'data': case 'text': case 'empty': case 'anyName': case 'name': case 'param': case 'except': break;
        default: walk(c, onAttribute, onElement, seen); // group, choice, interleave, optional, zeroOrMore, oneOrMore
      }
    }
  };
  const shape: SchemaShape = { attributes: new Set(), children: new Set(), sourceAttributes: new Set() };
  const devices: XmlElement[] = [];
  for (const list of defs.values()) {
    for (const d of list) walk(d, () => {}, (el) => { if (el.getAttribute('name') === element) devices.push(el); }, new Set());
  }
  for (const device of devices) {
    walk(device, (a) => shape.attributes.add(a), (el) => {
      const name = el.getAttribute('name');
      if (!name) return;
      shape.children.add(name);
      if (name === 'source') walk(el, (a) => shape.sourceAttributes.add(a), () => {}, new Set());
    }, new Set());
  }
  return shape;
}
