/**
 * XML in and out. Documents are checked by a strict parser (saxes: well-formedness and
 * namespaces with line and column, no DOCTYPE, so no entity expansion and nothing fetched),
 * which builds the tree on its way: a light DOM (light-dom.ts) that keeps sibling order,
 * comments, whitespace and namespaces as written. A document that is only read (a hook's
 * domain XML) comes from readXml, which skips recording how each tag was written.
 */
import { SaxesParser } from 'saxes';
import { InputError, isVirtSriovError } from '../errors.js';
import { CDATA_NODE, COMMENT_NODE, ELEMENT_NODE, PI_NODE, TEXT_NODE, type XmlDocument, type XmlElement, type XmlNode } from './dom.js';
import { LightTreeBuilder } from './light-dom.js';

export interface ParsedXml {
  readonly document: XmlDocument;
  readonly root: XmlElement;
  /** Whether the text began with an XML declaration, so it is written back only if it was there. */
  readonly declaration: boolean;
  readonly quote: "'" | '"';
}

/** `what` names the input for messages: a file name, "stdin", "hook stdin". */
export function parseXml(text: string, what: string): ParsedXml {
  const tree = new LightTreeBuilder();
  checkWellFormed(text, what, tree);
  const parsed = parsedAs(text, what, tree.document);
  recordSourceForms(text, parsed.root);
  return parsed;
}

/**
 * The document for reading: as checked as parseXml's, without the record of how each tag and
 * text was written (a regular-expression pass over the text). Written out (serializeXml), it
 * is written anew, not as it was read: a document to edit and write back comes from parseXml.
 */
export function readXml(text: string, what: string): ParsedXml {
  const tree = new LightTreeBuilder();
  checkWellFormed(text, what, tree);
  return parsedAs(text, what, tree.document);
}

function parsedAs(text: string, what: string, document: XmlDocument): ParsedXml {
  const root = document.documentElement;
  if (!root) throw new InputError(`${what}: no root element`, 'give a complete XML document');
  // write attributes back in the quotes the document used (libvirt: single)
  const firstQuote = /<[A-Za-z_][^\s>/]*\s+[^\s=>]+\s*=\s*(['"])/.exec(text.replace(/<\?xml[^>]*\?>/, ''))?.[1];
  return { document, root, declaration: /^\s*<\?xml\s/.test(text), quote: firstQuote === '"' ? '"' : "'" };
}

/**
 * How each start tag and text run was written, for the nodes that are still as they were read:
 * virsh dumpxml writes <metadata> children in double quotes and the rest in single quotes, and
 * escapes ' and " in text (&apos;), so one quote style and one escaping can't give it back as is.
 */
const tagForms = new WeakMap<XmlElement, { readonly raw: string; readonly attributes: readonly string[] }>();
const textForms = new WeakMap<XmlNode, { readonly raw: string; readonly value: string }>();

/** Names and values in order, flat: compared pair by pair (a JSON string per element cost more). */
function attributesOf(el: XmlElement): string[] {
  const flat: string[] = [];
  for (let i = 0; i < el.attributes.length; i++) flat.push(el.attributes[i]!.name, el.attributes[i]!.value);
  return flat;
}

function attributesUnchanged(el: XmlElement, read: readonly string[]): boolean {
  if (el.attributes.length * 2 !== read.length) return false;
  for (let i = 0; i < el.attributes.length; i++) {
    if (el.attributes[i]!.name !== read[2 * i] || el.attributes[i]!.value !== read[2 * i + 1]) return false;
  }
  return true;
}

/** Pair the DOM's elements and text nodes, in document order, with the source's start tags and text runs. */
function recordSourceForms(text: string, root: XmlElement): void {
  // the text is well-formed and has no DOCTYPE (checked), so markup can be told apart by its first characters
  const token = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<\/[^>]*>|<((?:[^>'"]|'[^']*'|"[^"]*")*)>|[^<]+/g;
  const tags: string[] = [];
  const runs: string[] = [];
  let depth = 0;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    const t = m[0];
    if (m[1] !== undefined) {
      const selfClosing = m[1].endsWith('/');
      tags.push(`<${selfClosing ? m[1].slice(0, -1) : m[1]}`);
      if (!selfClosing) depth++;
    } else if (t.startsWith('</')) {
      depth--;
    } else if (!t.startsWith('<') && depth > 0) {
      runs.push(t);
    }
  }
  const elements: XmlElement[] = [];
  const texts: XmlNode[] = [];
  const walk = (node: XmlNode): void => {
    if (node.nodeType === ELEMENT_NODE) elements.push(node as XmlElement);
    else if (node.nodeType === TEXT_NODE) texts.push(node);
    for (const c of node.childNodes) walk(c);
  };
  walk(root);
  if (elements.length !== tags.length || texts.length !== runs.length) return; // not what we expected: write everything anew
  elements.forEach((el, i) => tagForms.set(el, { raw: tags[i]!, attributes: attributesOf(el) }));
  texts.forEach((node, i) => textForms.set(node, { raw: runs[i]!, value: node.textContent ?? '' }));
}

/** Forget how a subtree was written, so it is written as new: in the quotes of where it goes now. */
export function forgetSourceForms(node: XmlNode): void {
  tagForms.delete(node as XmlElement);
  textForms.delete(node);
  for (const c of Array.from(node.childNodes)) forgetSourceForms(c);
}

export function serializeXml(parsed: ParsedXml): string {
  const out: string[] = [];
  if (parsed.declaration) out.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  for (const node of parsed.document.childNodes) {
    writeNode(node, parsed.quote, out);
    if (node.nodeType !== ELEMENT_NODE) out.push('\n');
  }
  return out.join('').replace(/\n*$/, '\n');
}

/** One element and what it holds, as libvirt takes a device (virsh attach-device FILE). */
export function serializeElement(el: XmlElement, quote: Quote = "'"): string {
  const out: string[] = [];
  writeNode(el, quote, out);
  return out.join('') + '\n';
}

/**
 * A serializer of our own, because libvirt writes attributes in single quotes and an admin
 * diffing `virsh dumpxml` against our output should see only what changed.
 */
function writeNode(node: XmlNode, quote: Quote, out: string[]): void {
  switch (node.nodeType) {
    case ELEMENT_NODE: {
      const el = node as XmlElement;
      const source = tagForms.get(el);
      // an element keeps its own quotes; a new one takes those of its surroundings (metadata: double)
      const own = (source && /=\s*(['"])/.exec(source.raw)?.[1] as Quote | undefined) ?? quote;
      if (source && attributesUnchanged(el, source.attributes)) {
        out.push(source.raw);
      } else {
        out.push('<', el.tagName);
        for (const a of Array.from(el.attributes)) out.push(' ', a.name, '=', own, escapeAttribute(a.value, own), own);
      }
      if (el.childNodes.length === 0) {
        out.push('/>');
        return;
      }
      out.push('>');
      for (const c of el.childNodes) writeNode(c, own, out);
      out.push('</', el.tagName, '>');
      return;
    }
    case TEXT_NODE: {
      const source = textForms.get(node);
      out.push(source && source.value === node.textContent ? source.raw : escapeText(node.textContent ?? ''));
      return;
    }
    case CDATA_NODE:
      out.push('<![CDATA[', node.textContent ?? '', ']]>');
      return;
    case PI_NODE: {
      const pi = node as XmlNode & { target: string; data: string };
      out.push('<?', pi.target, pi.data ? ` ${pi.data}` : '', '?>');
      return;
    }
    case COMMENT_NODE:
      out.push('<!--', node.textContent ?? '', '-->');
      return;
    default:
      return; // no DOCTYPE survives parsing
  }
}

type Quote = "'" | '"';

function escapeText(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(v: string, quote: Quote): string {
  const s = v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
  return quote === "'" ? s.replace(/'/g, '&apos;') : s.replace(/"/g, '&quot;');
}

/**
 * Bounds far above any XML libvirt writes (a domain is a few KiB and a few hundred elements, a
 * 4096-VF pool's network under 1 MiB), checked as saxes first reads the text, as a hook blocks
 * libvirt: a million elements take seconds, deep nesting overflows the stack of any recursive
 * walk, and the start-tag scan of recordSourceForms overflows the regex stack on a tag of about
 * 7 MiB. (With xmlbuilder2's DOM, 50,000 attributes on one element took 20 s.)
 */
const MAX_CHARACTERS = 4 * 1024 * 1024;
const MAX_ELEMENTS = 65_536;
const MAX_ATTRIBUTES = 256;
const MAX_DEPTH = 256;
/**
 * A namespace as libvirt and everyone else writes one: an absolute URI (xmlns='' undeclares
 * the default). (xmlbuilder2 tested each namespace with a regex exponential in leading white
 * space, '#' or '%': 64 spaces hung a hook for good.)
 */
const NAMESPACE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/;

function checkWellFormed(text: string, what: string, tree?: LightTreeBuilder): void {
  const fix = 'give the XML libvirt writes (virsh dumpxml): this is no libvirt document';
  if (text.length > MAX_CHARACTERS) {
    throw new InputError(`${what}: ${text.length} characters, more than the ${MAX_CHARACTERS} virt-sriov reads`, fix);
  }
  const parser = new SaxesParser({ position: true, xmlns: true });
  let elements = 0;
  let depth = 0;
  parser.on('doctype', () => {
    throw new InputError(
      `${what}: line ${parser.line}: a DOCTYPE declaration is not allowed`,
      'remove the <!DOCTYPE ...> line: libvirt XML never needs one, and its entities are not expanded',
    );
  });
  parser.on('opentag', (tag) => {
    if (++elements > MAX_ELEMENTS) throw new InputError(`${what}: line ${parser.line}: more than ${MAX_ELEMENTS} elements`, fix);
    const attributes = Object.values(tag.attributes);
    if (attributes.length > MAX_ATTRIBUTES) {
      throw new InputError(`${what}: line ${parser.line}: <${tag.name}> has more than ${MAX_ATTRIBUTES} attributes`, fix);
    }
    for (const { name, value } of attributes) {
      if ((name === 'xmlns' && value !== '') || name.startsWith('xmlns:')) {
        if (!NAMESPACE_URI.test(value)) throw new InputError(`${what}: line ${parser.line}: ${name}=${JSON.stringify(value.slice(0, 80))} is not a namespace URI`, fix);
      }
    }
    if (!tag.isSelfClosing && ++depth > MAX_DEPTH) {
      throw new InputError(`${what}: line ${parser.line}: elements nested more than ${MAX_DEPTH} deep`, fix);
    }
    tree?.open(tag);
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) depth--;
    tree?.close();
  });
  if (tree) {
    parser.on('text', (t) => tree.text(t));
    parser.on('cdata', (t) => tree.cdata(t));
    parser.on('comment', (t) => tree.comment(t));
    parser.on('processinginstruction', (pi) => tree.processingInstruction(pi.target, pi.body));
  }
  try {
    parser.write(text).close();
  } catch (e) {
    if (isVirtSriovError(e, 'input')) throw e;
    const m = /^(?:[^:]*:)?(\d+):(\d+): (.*)$/s.exec((e as Error).message);
    // saxes reads a bare & as the start of an entity name up to the next ';' and reports the
    // damage far below ("unclosed tag" at the end of the file): point at the & itself
    const amp = bareAmpersand(text);
    if (amp && m && (amp.line < Number(m[1]) || (amp.line === Number(m[1]) && amp.column <= Number(m[2])))) {
      throw new InputError(`${what}: malformed XML at line ${amp.line}, column ${amp.column}: a bare '&' (write &amp;)`,
        'fix the XML (xmllint --noout FILE shows the same)');
    }
    const where = m ? `line ${m[1]}, column ${m[2]}` : `line ${parser.line}, column ${parser.column}`;
    const why = (m ? m[3]! : (e as Error).message).replace(/\.$/, '');
    throw new InputError(`${what}: malformed XML at ${where}: ${why}`, 'fix the XML (xmllint --noout FILE shows the same)');
  }
  if (elements === 0) throw new InputError(`${what}: no XML element found`, 'give a complete XML document');
}

/** The first '&' that starts no entity or character reference, outside comments, CDATA and PIs. */
function bareAmpersand(text: string): { line: number; column: number } | null {
  const token = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|&(?:[A-Za-z_:][\w.:-]*|#[0-9]+|#x[0-9a-fA-F]+);|&/g;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    if (m[0] !== '&') continue;
    const before = text.slice(0, m.index);
    return { line: before.split('\n').length, column: m.index - before.lastIndexOf('\n') };
  }
  return null;
}
