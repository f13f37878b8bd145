/**
 * The style table (src/xml/devices/style-table.ts) against libvirt's own RELAX NG schema, both
 * ways: every attribute and child the table gives a style is one the schema allows there, and
 * every one the schema allows there is in the table (or is the style's identity), so that no
 * part of a device libvirt accepts is unknown to convert.
 */
import { describe, expect, test } from '@jest/globals';
import { STYLES } from '../../../src/xml/devices/device-fields.js';
import { STYLE_TABLE } from '../../../src/xml/devices/style-table.js';
import { schemaShape } from '../../support/libvirt-rng.js';

const sorted = (s: Iterable<string>) => [...new Set(s)].sort();

describe.each(STYLES)('%s style, as libvirt\'s schema has it', (style) => {
  const t = STYLE_TABLE[style];
  const schema = schemaShape(t.element, t.fixed);

  test('the children: the table\'s are the schema\'s', () => {
    expect(sorted(t.children.map((c) => c.name))).toEqual(sorted(schema.children));
  });

  test('the element\'s attributes: the table\'s and those that make the style are the schema\'s', () => {
    expect(sorted([...Object.keys(t.attributes), ...Object.keys(t.fixed)])).toEqual(sorted(schema.attributes));
  });

  test('<source>\'s attributes: the table\'s and the identity are the schema\'s', () => {
    const identity = t.identity === 'network' ? ['network'] : [];
    expect(sorted([...Object.keys(t.sourceAttributes), ...identity])).toEqual(sorted(schema.sourceAttributes));
  });
});
