/**
 * The part of the DOM that virt-sriov uses (light-dom.ts implements it), with helpers for
 * reading and editing libvirt XML without disturbing what is around the edit.
 */
export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_NODE = 4;
export const PI_NODE = 7;
export const COMMENT_NODE = 8;

export interface XmlNode {
  readonly nodeType: number;
  readonly parentNode: XmlNode | null;
  readonly childNodes: ArrayLike<XmlNode> & Iterable<XmlNode>;
  readonly previousSibling: XmlNode | null;
  readonly nextSibling: XmlNode | null;
  textContent: string | null;
  insertBefore(node: XmlNode, ref: XmlNode | null): XmlNode;
  appendChild(node: XmlNode): XmlNode;
  removeChild(node: XmlNode): XmlNode;
  replaceChild(node: XmlNode, old: XmlNode): XmlNode;
  cloneNode(deep?: boolean): XmlNode;
}

export interface XmlElement extends XmlNode {
  readonly localName: string;
  readonly namespaceURI: string | null;
  readonly prefix: string | null;
  readonly tagName: string;
  readonly ownerDocument: XmlDocument;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  setAttributeNS(ns: string | null, name: string, value: string): void;
  removeAttribute(name: string): void;
  hasAttribute(name: string): boolean;
  readonly attributes: ArrayLike<{ readonly name: string; readonly value: string }>;
}

/** What telling a device's kind needs of an element: a DOM element, or a scanner's tag (device-scan.ts). */
export type ElementHead = Pick<XmlElement, 'localName' | 'getAttribute'>;

export interface XmlDocument extends XmlNode {
  readonly documentElement: XmlElement | null;
  createElement(name: string): XmlElement;
  createElementNS(ns: string | null, qualifiedName: string): XmlElement;
  createTextNode(text: string): XmlNode;
}

export function isElement(node: XmlNode | null | undefined): node is XmlElement {
  return !!node && node.nodeType === ELEMENT_NODE;
}

/** Child elements, optionally only those with this (unprefixed, no-namespace) name. */
export function childElements(parent: XmlNode, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const node of parent.childNodes) {
    if (isElement(node) && (name === undefined || (node.localName === name && !node.namespaceURI))) out.push(node);
  }
  return out;
}

export function firstChild(parent: XmlNode, name: string): XmlElement | null {
  return childElements(parent, name)[0] ?? null;
}

/** Follow a path of child names: `child(domain, 'devices')`, `child(iface, 'source', 'address')`. */
export function child(parent: XmlNode, ...path: string[]): XmlElement | null {
  let at: XmlNode | null = parent;
  for (const name of path) {
    at = at && firstChild(at, name);
  }
  return at as XmlElement | null;
}

export function textOf(el: XmlElement | null): string | null {
  return el ? (el.textContent ?? '').trim() : null;
}

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
