/**
 * XML in: a text checked by a strict parser (saxes: well-formedness and namespaces with line
 * and column, no DOCTYPE, so no entity expansion and nothing fetched), which builds the tree on
 * its way, in the same pass: a light DOM (light-dom.ts) that keeps sibling order, comments,
 * whitespace and namespaces as written. parseXml also has each start tag and text run keep
 * how it was written (its source form), taken from the text where the parser found it, so that
 * serialize.ts gives back what nobody changed byte for byte; readXml, for a document that is
 * only read (a hook's domain XML), skips that.
 */
import { SaxesParser } from 'saxes';
import { InputError, isVirtSriovError } from '../errors.js';
import type { XmlDocument, XmlElement } from './dom.js';
import { MARKUP_TOKEN } from './markup.js';
import { LightTreeBuilder } from './tree-builder.js';

export type Quote = "'" | '"';

export interface ParsedXml {
  readonly document: XmlDocument;
  readonly root: XmlElement;
  /** Whether the text began with an XML declaration, so it is written back only if it was there. */
  readonly declaration: boolean;
  /** The quotes of the first attribute written (libvirt: single), for what is written anew. */
  readonly quote: Quote;
}

/** `what` names the input for messages: a file name, "stdin", "hook stdin". */
export function parseXml(text: string, what: string): ParsedXml {
  return parse(text, what, true);
}

/**
 * The document for reading: as checked as parseXml's, without the record of how each tag and
 * text was written. Written out (serialize.ts), it is written anew, not as it was read: a
 * document to edit and write back comes from parseXml.
 */
export function readXml(text: string, what: string): ParsedXml {
  return parse(text, what, false);
}

function parse(text: string, what: string, sourceForms: boolean): ParsedXml {
  const tree = new LightTreeBuilder();
  const { declaration, quote } = checkWellFormed(text, what, tree, sourceForms);
  const root = tree.document.documentElement;
  if (!root) throw new InputError(`${what}: no root element`, 'give a complete XML document');
  return { document: tree.document, root, declaration, quote };
}

/**
 * Bounds far above any XML libvirt writes (a domain is a few KiB and a few hundred elements, a
 * 4096-VF pool's network under 1 MiB), checked as saxes first reads the text, as a hook blocks
 * libvirt: a million elements take seconds and deep nesting overflows the stack of any recursive
 * walk. (With xmlbuilder2's DOM, 50,000 attributes on one element took 20 s; the regular
 * expression that once re-read each start tag for its source form overflowed on a tag of 7 MiB.)
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

/**
 * One saxes pass: checks the text, builds `tree`, and (sourceForms) hands each start tag and
 * text run in the root to it as written. saxes reads the text in one chunk, so its position is
 * an index into it: at an opentag event just past the tag's `>` (a tag holds no other '<': an
 * attribute value can't), at a text event just past the '<' that ends the run, which began
 * where the markup before it ended.
 */
function checkWellFormed(text: string, what: string, tree: LightTreeBuilder, sourceForms: boolean): { declaration: boolean; quote: Quote } {
  const fix = 'give the XML libvirt writes (virsh dumpxml): this is no libvirt document';
  if (text.length > MAX_CHARACTERS) {
    throw new InputError(`${what}: ${text.length} characters, more than the ${MAX_CHARACTERS} virt-sriov reads`, fix);
  }
  const parser = new SaxesParser({ position: true, xmlns: true });
  let elements = 0;
  let depth = 0;
  let declaration = false;
  let quote: Quote | null = null;
  /** Where the last markup ended: where a text run after it begins. */
  let markupEnd = 0;
  const markupEnds = () => {
    markupEnd = parser.position;
  };
  parser.on('xmldecl', () => {
    declaration = true;
    markupEnds();
  });
  parser.on('doctype', () => {
    throw new InputError(
      `${what}: line ${parser.line}: a DOCTYPE declaration is not allowed`,
      'remove the <!DOCTYPE ...> line: libvirt XML never needs one, and its entities are not expanded',
    );
  });
  // attributes counted as saxes reads them: at the opentag event it has read (and checked for
  // duplicates) them all, which for 50,000 of them takes long
  let tagName = '';
  let attributeCount = 0;
  parser.on('opentagstart', (tag) => {
    tagName = tag.name;
    attributeCount = 0;
  });
  parser.on('attribute', () => {
    if (++attributeCount > MAX_ATTRIBUTES) {
      throw new InputError(`${what}: line ${parser.line}: <${tagName}> has more than ${MAX_ATTRIBUTES} attributes`, fix);
    }
  });
  parser.on('opentag', (tag) => {
    if (++elements > MAX_ELEMENTS) throw new InputError(`${what}: line ${parser.line}: more than ${MAX_ELEMENTS} elements`, fix);
    const attributes = Object.values(tag.attributes);
    for (const { name, value } of attributes) {
      if ((name === 'xmlns' && value !== '') || name.startsWith('xmlns:')) {
        if (!NAMESPACE_URI.test(value)) throw new InputError(`${what}: line ${parser.line}: ${name}=${JSON.stringify(value.slice(0, 80))} is not a namespace URI`, fix);
      }
    }
    if (!tag.isSelfClosing && ++depth > MAX_DEPTH) {
      throw new InputError(`${what}: line ${parser.line}: elements nested more than ${MAX_DEPTH} deep`, fix);
    }
    let written: string | null = null;
    if (sourceForms || (quote === null && attributes.length)) {
      const end = parser.position;
      written = text.slice(text.lastIndexOf('<', end - 1), end - (tag.isSelfClosing ? 2 : 1));
      if (quote === null && attributes.length) quote = /=\s*(['"])/.exec(written)![1] as Quote;
    }
    tree.open(tag, sourceForms ? written : null);
    markupEnds();
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) depth--;
    tree.close();
    markupEnds();
  });
  parser.on('text', (t) => tree.text(t, sourceForms ? text.slice(markupEnd, parser.position - 1) : null));
  parser.on('cdata', (t) => {
    tree.cdata(t);
    markupEnds();
  });
  parser.on('comment', (t) => {
    tree.comment(t);
    // saxes tells of a comment at its "--", before the '>' that must follow
    markupEnd = parser.position + 1;
  });
  parser.on('processinginstruction', (pi) => {
    tree.processingInstruction(pi.target, pi.body);
    markupEnds();
  });
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
  return { declaration, quote: quote ?? "'" };
}

/**
 * The first '&' that starts no entity or character reference, in text or an attribute value
 * (comments, CDATA and PIs hold none): the markup tokens of markup.ts, as the scan reads them.
 */
function bareAmpersand(text: string): { line: number; column: number } | null {
  const reference = /&(?:[A-Za-z_:][\w.:-]*|#[0-9]+|#x[0-9a-fA-F]+);|&/g;
  MARKUP_TOKEN.lastIndex = 0;
  for (let m = MARKUP_TOKEN.exec(text); m; m = MARKUP_TOKEN.exec(text)) {
    if (m[1] !== undefined || /^<[!?]/.test(m[0]) || !m[0].includes('&')) continue;
    reference.lastIndex = 0;
    for (let r = reference.exec(m[0]); r; r = reference.exec(m[0])) {
      if (r[0] !== '&') continue;
      const at = m.index + r.index;
      const before = text.slice(0, at);
      return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
    }
  }
  return null;
}
