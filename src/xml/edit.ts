/**
 * Edits of libvirt XML that keep its layout: a new or moved element on its own line at the
 * indent of where it goes, a removed one with the white space that put it on its line, an
 * element replaced in place; and building an element's subtree indented to sit where it goes.
 */
import { isElement, childElements, TEXT_NODE, type XmlDocument, type XmlElement, type XmlNode } from './dom.js';

/** The whitespace that indents `el` on its line ("" when it shares its line). */
export function indentOf(el: XmlNode): string {
  const prev = el.previousSibling;
  if (prev && prev.nodeType === TEXT_NODE) {
    const m = /\n([ \t]*)$/.exec(prev.textContent ?? '');
    if (m) return m[1]!;
  }
  return '';
}

/** The indent one level deeper than `el`'s, judged from its children or from the document. */
export function childIndentOf(el: XmlElement): string {
  const first = childElements(el)[0];
  if (first) {
    const inner = indentOf(first);
    if (inner) return inner;
  }
  const own = indentOf(el);
  const parent = el.parentNode;
  const step = parent && isElement(parent as XmlElement) ? own.slice(indentOf(parent).length) : '';
  return own + (step || '  ');
}

export interface ElementSpec {
  readonly name: string;
  readonly ns?: string;
  readonly attrs?: Readonly<Record<string, string | undefined>>;
  readonly text?: string;
  readonly children?: readonly (ElementSpec | XmlNode)[];
}

/**
 * Build an element and its subtree, indented to sit at `indent` (null: all on one line, as
 * when the surrounding XML is compact), each level `step` deeper.
 */
export function build(doc: XmlDocument, spec: ElementSpec, indent: string | null, step = '  '): XmlElement {
  const el = spec.ns ? doc.createElementNS(spec.ns, spec.name) : doc.createElement(spec.name);
  for (const [k, v] of Object.entries(spec.attrs ?? {})) if (v !== undefined) el.setAttribute(k, v);
  if (spec.text !== undefined) el.appendChild(doc.createTextNode(spec.text));
  const kids = spec.children ?? [];
  const inner = indent === null ? null : indent + step;
  for (const kid of kids) {
    if (inner !== null) el.appendChild(doc.createTextNode('\n' + inner));
    el.appendChild(isSpec(kid) ? build(doc, kid, inner, step) : reindent(kid, inner, step));
  }
  if (kids.length && indent !== null) el.appendChild(doc.createTextNode('\n' + indent));
  return el;
}

function isSpec(x: ElementSpec | XmlNode): x is ElementSpec {
  return typeof (x as ElementSpec).name === 'string' && (x as XmlNode).nodeType === undefined;
}

/** Re-indent a moved subtree so it lines up at its new depth. */
function reindent(node: XmlNode, indent: string | null, step: string): XmlNode {
  if (indent === null || !isElement(node)) return node;
  // a detached copy has no line of its own: its closing tag's indent is the one it had
  const last = node.childNodes[node.childNodes.length - 1];
  const closing = node.previousSibling ? null : /\n([ \t]*)$/.exec(last?.nodeType === TEXT_NODE ? last.textContent ?? '' : '');
  const old = closing ? closing[1]! : indentOf(node);
  for (const n of node.childNodes) {
    if (n.nodeType === TEXT_NODE && /^\s*$/.test(n.textContent ?? '')) {
      n.textContent = (n.textContent ?? '').replace(new RegExp(`\\n${escapeRe(old)}`, 'g'), '\n' + indent);
    } else {
      reindent(n, indent + step, step);
    }
  }
  return node;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Insert `el` before `ref` (or at the end of `parent`), on its own line at `parent`'s child indent. */
export function insertElement(parent: XmlElement, el: XmlElement, ref: XmlNode | null): void {
  const doc = parent.ownerDocument;
  const compact = !/\n/.test(parent.textContent ?? '') && childElements(parent).length > 0;
  if (compact) {
    parent.insertBefore(el, ref);
    return;
  }
  const indent = childIndentOf(parent);
  if (ref) {
    // <parent>WS ref  ->  <parent>WS el WS ref : the new element takes the whitespace before ref.
    parent.insertBefore(el, ref);
    parent.insertBefore(doc.createTextNode('\n' + indent), ref);
  } else {
    const last = parent.childNodes[parent.childNodes.length - 1] ?? null;
    const closing = last && last.nodeType === TEXT_NODE && /^\s*$/.test(last.textContent ?? '') ? last : null;
    parent.insertBefore(doc.createTextNode('\n' + indent), closing);
    parent.insertBefore(el, closing);
    if (!closing) parent.appendChild(doc.createTextNode('\n' + indentOf(parent)));
  }
}

/** Remove `el` and the whitespace that put it on its own line. */
export function removeElement(el: XmlElement): void {
  const parent = el.parentNode;
  if (!parent) return;
  const prev = el.previousSibling;
  if (prev && prev.nodeType === TEXT_NODE && /^\s*$/.test(prev.textContent ?? '')) parent.removeChild(prev);
  parent.removeChild(el);
}

/** Replace `old` with `el` in place: same siblings, same whitespace around it. */
export function replaceElement(old: XmlElement, el: XmlElement): void {
  old.parentNode!.replaceChild(el, old);
}
