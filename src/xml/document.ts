/**
 * XML in and out. Documents are checked by a strict parser (saxes: well-formedness with line
 * and column, no DOCTYPE, so no entity expansion and nothing fetched), then held as an
 * xmlbuilder2 DOM, which keeps sibling order, comments, whitespace and namespaces as written.
 */
import { create } from 'xmlbuilder2';
import { SaxesParser } from 'saxes';
import { InputError } from '../errors.js';
import { CDATA_NODE, COMMENT_NODE, ELEMENT_NODE, PI_NODE, TEXT_NODE, type XmlDocument, type XmlElement, type XmlNode } from './dom.js';

export interface ParsedXml {
  readonly document: XmlDocument;
  readonly root: XmlElement;
  /** Whether the text began with an XML declaration, so it is written back only if it was there. */
  readonly declaration: boolean;
  readonly quote: "'" | '"';
}

/** `what` names the input for messages: a file name, "stdin", "hook stdin". */
export function parseXml(text: string, what: string): ParsedXml {
  checkWellFormed(text, what);
  let builder: ReturnType<typeof create>;
  try {
    builder = create({ skipWhitespaceOnlyText: false }, text);
  } catch (e) {
    // well-formed for saxes but not for the DOM: a name such as `address:` or `:type`, a prefix never declared
    throw new InputError(`${what}: malformed XML: ${(e as Error).message.split('\n')[0]}`, 'fix the XML (xmllint --noout FILE shows the same)');
  }
  const document = builder.node as unknown as XmlDocument;
  const root = document.documentElement;
  if (!root) throw new InputError(`${what}: no root element`, 'give a complete XML document');
  // write attributes back in the quotes the document used (libvirt: single)
  const firstQuote = /<[A-Za-z_][^\s>/]*\s+[^\s=>]+\s*=\s*(['"])/.exec(text.replace(/<\?xml[^>]*\?>/, ''))?.[1];
  recordSourceForms(text, root);
  return { document, root, declaration: /^\s*<\?xml\s/.test(text), quote: firstQuote === '"' ? '"' : "'" };
}

/**
 * How each start tag and text run was written, for the nodes that are still as they were read:
 * virsh dumpxml writes <metadata> children in double quotes and the rest in single quotes, and
 * escapes ' and " in text (&apos;), so one quote style and one escaping can't give it back as is.
 */
const sourceForms = new WeakMap<XmlNode, { readonly raw: string; readonly value: string }>();

function attributeSignature(el: XmlElement): string {
  return JSON.stringify(Array.from(el.attributes, (a) => [a.name, a.value]));
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
  elements.forEach((el, i) => sourceForms.set(el, { raw: tags[i]!, value: attributeSignature(el) }));
  texts.forEach((node, i) => sourceForms.set(node, { raw: runs[i]!, value: node.textContent ?? '' }));
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

/**
 * A serializer of our own, because libvirt writes attributes in single quotes and an admin
 * diffing `virsh dumpxml` against our output should see only what changed.
 */
function writeNode(node: XmlNode, quote: Quote, out: string[]): void {
  switch (node.nodeType) {
    case ELEMENT_NODE: {
      const el = node as XmlElement;
      const source = sourceForms.get(el);
      // an element keeps its own quotes; a new one takes those of its surroundings (metadata: double)
      const own = (source && /=\s*(['"])/.exec(source.raw)?.[1] as Quote | undefined) ?? quote;
      if (source && source.value === attributeSignature(el)) {
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
      const source = sourceForms.get(node);
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
 * 4096-VF pool's network under 1 MiB), checked before the DOM parse, as a hook blocks libvirt:
 * xmlbuilder2 takes time quadratic in an element's attributes (50,000 on one: 20 s) and in
 * nesting depth, a million elements take seconds, and the start-tag scan of recordSourceForms
 * overflows the regex stack on a tag of about 7 MiB.
 */
const MAX_CHARACTERS = 4 * 1024 * 1024;
const MAX_ELEMENTS = 65_536;
const MAX_ATTRIBUTES = 256;
const MAX_DEPTH = 256;
/**
 * A namespace as libvirt and everyone else writes one: an absolute URI (xmlns='' undeclares
 * the default). xmlbuilder2 tests each element's namespace against a YAML-sniffing regex that
 * takes time exponential in leading white space, '#' or '%' (64 spaces: forever).
 */
const NAMESPACE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/;

function checkWellFormed(text: string, what: string): void {
  const fix = 'give the XML libvirt writes (virsh dumpxml): this is no libvirt document';
  if (text.length > MAX_CHARACTERS) {
    throw new InputError(`${what}: ${text.length} characters, more than the ${MAX_CHARACTERS} virt-sriov reads`, fix);
  }
  const parser = new SaxesParser({ position: true });
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
    if (Object.keys(tag.attributes).length > MAX_ATTRIBUTES) {
      throw new InputError(`${what}: line ${parser.line}: <${tag.name}> has more than ${MAX_ATTRIBUTES} attributes`, fix);
    }
    for (const [name, value] of Object.entries(tag.attributes)) {
      if ((name === 'xmlns' && value !== '') || name.startsWith('xmlns:')) {
        if (!NAMESPACE_URI.test(value)) throw new InputError(`${what}: line ${parser.line}: ${name}=${JSON.stringify(value.slice(0, 80))} is not a namespace URI`, fix);
      }
    }
    if (!tag.isSelfClosing && ++depth > MAX_DEPTH) {
      throw new InputError(`${what}: line ${parser.line}: elements nested more than ${MAX_DEPTH} deep`, fix);
    }
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) depth--;
  });
  try {
    parser.write(text).close();
  } catch (e) {
    if (e instanceof InputError) throw e;
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
