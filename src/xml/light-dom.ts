/**
 * The DOM of dom.ts, and only that: nodes that keep their children in order, elements with
 * their attributes as written, namespaces as resolved at parse or given at creation. What
 * virt-sriov does with a document is read it, move and replace a few elements and write it
 * back; a spec-complete DOM (xmlbuilder2's) cost more than all of that, a convert of 64
 * devices spent most of its own time in it. Built from the events of the parser that checks
 * the text (document.ts) by tree-builder.ts. test/unit/xml/light-dom.test.ts holds it to xmlbuilder2's DOM on
 * every capture and fixture and on generated documents.
 *
 * A node read from a text can also keep how it was written there (its source form, handed in by
 * that same parser pass), so that the serializer gives back libvirt's quotes and escaping where
 * nothing changed: virsh dumpxml writes <metadata> children in double quotes and the rest in
 * single quotes, and escapes ' and " in text (&apos;), which one quote style and one escaping
 * can't give back as is.
 */
import {
  CDATA_NODE, COMMENT_NODE, ELEMENT_NODE, PI_NODE, TEXT_NODE,
  type XmlDocument, type XmlElement, type XmlNode,
} from './dom.js';

abstract class Node implements XmlNode {
  abstract readonly nodeType: number;
  parentNode: Node | null = null;
  readonly childNodes: Node[] = [];

  constructor(readonly ownerDocument: LightDocument) {}

  get previousSibling(): Node | null {
    const siblings = this.parentNode?.childNodes;
    return siblings ? siblings[siblings.indexOf(this) - 1] ?? null : null;
  }

  get nextSibling(): Node | null {
    const siblings = this.parentNode?.childNodes;
    return siblings ? siblings[siblings.indexOf(this) + 1] ?? null : null;
  }

  abstract get textContent(): string | null;
  abstract set textContent(value: string | null);

  insertBefore(node: XmlNode, ref: XmlNode | null): XmlNode {
    const n = adopt(node);
    const at = ref === null ? this.childNodes.length : this.childNodes.indexOf(ref as Node);
    if (at < 0) throw new Error('insertBefore: the reference node is not a child');
    this.childNodes.splice(at, 0, n);
    n.parentNode = this;
    return n;
  }

  appendChild(node: XmlNode): XmlNode {
    return this.insertBefore(node, null);
  }

  removeChild(node: XmlNode): XmlNode {
    const at = this.childNodes.indexOf(node as Node);
    if (at < 0) throw new Error('removeChild: not a child');
    this.childNodes.splice(at, 1);
    (node as Node).parentNode = null;
    return node;
  }

  replaceChild(node: XmlNode, old: XmlNode): XmlNode {
    if (node === old) return old;
    const n = adopt(node);
    const at = this.childNodes.indexOf(old as Node);
    if (at < 0) throw new Error('replaceChild: not a child');
    this.childNodes[at] = n;
    n.parentNode = this;
    (old as Node).parentNode = null;
    return old;
  }

  abstract cloneNode(deep?: boolean): XmlNode;
}

/** A node about to be inserted leaves the parent it had, as in the DOM. */
function adopt(node: XmlNode): Node {
  const n = node as Node;
  n.parentNode?.removeChild(n);
  return n;
}

class CharacterData extends Node {
  /** A text run as it was written (its entities, its line ends), while its data is what was read: `readData`. */
  writtenAs: string | null = null;
  readData = '';

  constructor(doc: LightDocument, readonly nodeType: number, public data: string) {
    super(doc);
  }

  get textContent(): string {
    return this.data;
  }

  set textContent(value: string | null) {
    this.data = value ?? '';
  }

  cloneNode(): XmlNode {
    return new CharacterData(this.ownerDocument, this.nodeType, this.data);
  }
}

class ProcessingInstruction extends CharacterData {
  constructor(doc: LightDocument, readonly target: string, data: string) {
    super(doc, PI_NODE, data);
  }

  override cloneNode(): XmlNode {
    return new ProcessingInstruction(this.ownerDocument, this.target, this.data);
  }
}

interface Attribute {
  readonly name: string;
  value: string;
}

class Element extends Node implements XmlElement {
  readonly nodeType = ELEMENT_NODE;
  readonly attributes: Attribute[] = [];
  /** The start tag as it was written, without its closing `>` or `/>`. */
  writtenAs: string | null = null;
  /** The attributes as read, names and values flat, kept from their first change on (none: unchanged). */
  private readAttributes: string[] | null = null;

  constructor(doc: LightDocument, readonly namespaceURI: string | null, readonly prefix: string | null, readonly localName: string) {
    super(doc);
  }

  get tagName(): string {
    return this.prefix ? `${this.prefix}:${this.localName}` : this.localName;
  }

  /** The text of every text and CDATA node below it, in order (comments and PIs are not text). */
  get textContent(): string {
    let text = '';
    for (const c of this.childNodes) {
      if (c.nodeType === ELEMENT_NODE || c.nodeType === TEXT_NODE || c.nodeType === CDATA_NODE) text += c.textContent;
    }
    return text;
  }

  set textContent(value: string | null) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes.length = 0;
    if (value) this.appendChild(this.ownerDocument.createTextNode(value));
  }

  getAttribute(name: string): string | null {
    return this.attributes.find((a) => a.name === name)?.value ?? null;
  }

  hasAttribute(name: string): boolean {
    return this.attributes.some((a) => a.name === name);
  }

  setAttribute(name: string, value: string): void {
    const had = this.attributes.find((a) => a.name === name);
    if (had?.value === value) return;
    this.keepReadAttributes();
    if (had) had.value = value;
    else this.attributes.push({ name, value });
  }

  /** Attributes are looked up by qualified name only (xmlns:PREFIX is the one namespaced one written). */
  setAttributeNS(_ns: string | null, name: string, value: string): void {
    this.setAttribute(name, value);
  }

  removeAttribute(name: string): void {
    const at = this.attributes.findIndex((a) => a.name === name);
    if (at < 0) return;
    this.keepReadAttributes();
    this.attributes.splice(at, 1);
  }

  private keepReadAttributes(): void {
    if (this.writtenAs === null || this.readAttributes !== null) return;
    this.readAttributes = this.attributes.flatMap((a) => [a.name, a.value]);
  }

  /** Whether the attributes are, name for name and value for value, the ones read. */
  attributesAsRead(): boolean {
    const read = this.readAttributes;
    if (read === null) return true;
    if (this.attributes.length * 2 !== read.length) return false;
    for (let i = 0; i < this.attributes.length; i++) {
      if (this.attributes[i]!.name !== read[2 * i] || this.attributes[i]!.value !== read[2 * i + 1]) return false;
    }
    return true;
  }

  cloneNode(deep = false): XmlNode {
    const copy = new Element(this.ownerDocument, this.namespaceURI, this.prefix, this.localName);
    for (const a of this.attributes) copy.attributes.push({ ...a });
    if (deep) for (const c of this.childNodes) copy.appendChild(c.cloneNode(true));
    return copy;
  }
}

export class LightDocument extends Node implements XmlDocument {
  readonly nodeType = 9;

  constructor() {
    super(undefined as unknown as LightDocument);
    (this as { ownerDocument: LightDocument }).ownerDocument = this;
  }

  get documentElement(): XmlElement | null {
    return (this.childNodes.find((c) => c.nodeType === ELEMENT_NODE) as Element | undefined) ?? null;
  }

  get textContent(): null {
    return null;
  }

  set textContent(_: string | null) {
    // a document has no text of its own (DOM: setting it does nothing)
  }

  createElement(name: string): XmlElement {
    return new Element(this, null, null, name);
  }

  createElementNS(ns: string | null, qualifiedName: string): XmlElement {
    const colon = qualifiedName.indexOf(':');
    return colon < 0 ? new Element(this, ns, null, qualifiedName)
      : new Element(this, ns, qualifiedName.slice(0, colon), qualifiedName.slice(colon + 1));
  }

  createTextNode(text: string): XmlNode {
    return new CharacterData(this, TEXT_NODE, text);
  }

  createCDATASection(text: string): XmlNode {
    return new CharacterData(this, CDATA_NODE, text);
  }

  createComment(text: string): XmlNode {
    return new CharacterData(this, COMMENT_NODE, text);
  }

  createProcessingInstruction(target: string, data: string): XmlNode {
    return new ProcessingInstruction(this, target, data);
  }

  cloneNode(): XmlNode {
    throw new Error('a document is not cloned: parse the text again');
  }
}

/**
 * How a node read from a text was written there, while it is as it was read: a start tag
 * without its closing `>` or `/>` (its attributes unchanged since), a text run with its entities
 * (its text unchanged since). null for a node built since, or forgotten.
 */
export function sourceFormOf(node: XmlNode): string | null {
  if (node instanceof Element) return node.writtenAs !== null && node.attributesAsRead() ? node.writtenAs : null;
  if (node instanceof CharacterData && node.nodeType === TEXT_NODE) return node.data === node.readData ? node.writtenAs : null;
  return null;
}

/** The quotes a start tag was written in (its first attribute's), if it was read from a text. */
export function writtenQuoteOf(el: XmlElement): "'" | '"' | null {
  const written = (el as Element).writtenAs;
  return written ? (/=\s*(['"])/.exec(written)?.[1] as "'" | '"' | undefined) ?? null : null;
}

/** Forget how a subtree was written, so it is written as new: in the quotes of where it goes now. */
export function forgetSourceForms(node: XmlNode): void {
  if (node instanceof Element || node instanceof CharacterData) node.writtenAs = null;
  for (const c of node.childNodes) forgetSourceForms(c);
}

/** A start tag as the checking parser (saxes, xmlns on) reads it. */
export interface ReadTag {
  readonly local: string;
  readonly prefix: string;
  readonly uri: string;
  readonly attributes: Record<string, { readonly name: string; readonly value: string }>;
}

/** An element read from a text: its attributes in the order written, and its start tag as written (null: not kept). */
export function readElement(doc: LightDocument, tag: ReadTag, writtenAs: string | null): XmlElement {
  const el = new Element(doc, tag.uri || null, tag.prefix || null, tag.local);
  for (const name in tag.attributes) el.attributes.push({ name, value: tag.attributes[name]!.value });
  el.writtenAs = writtenAs;
  return el;
}

/** A text run read from a text, and how it was written there (null: not kept). */
export function readText(doc: LightDocument, data: string, writtenAs: string | null): XmlNode {
  const node = new CharacterData(doc, TEXT_NODE, data);
  node.writtenAs = writtenAs;
  node.readData = data;
  return node;
}
