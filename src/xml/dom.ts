/**
 * The part of the DOM that virt-sriov uses (light-dom.ts implements it), and how to find one's
 * way in it: child elements by name, the text of an element. Edits that keep libvirt's layout
 * are edit.ts's.
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
