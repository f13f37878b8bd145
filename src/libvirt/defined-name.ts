/** The name a domain or network definition gives itself, for naming it in messages. */
import { readXml } from '../xml/document.js';
import { child, textOf } from '../xml/dom.js';

/** `<name>` under the root, or null when there is none or the XML doesn't parse (libvirt will say why). */
export function definedName(xml: string): string | null {
  try {
    const name = textOf(child(readXml(xml, 'definition').root, 'name'));
    return name || null;
  } catch {
    return null;
  }
}

/** "define domain vm1", or "define a domain from the given XML" when no name can be read from it. */
export function defineOperation(noun: string, xml: string): string {
  const name = definedName(xml);
  return name ? `define ${noun} ${name}` : `define a ${noun} from the given XML`;
}
