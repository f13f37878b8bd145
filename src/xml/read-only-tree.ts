/**
 * A read-only tree of an XML document, built from the events of the parser that checks it
 * (saxes). The hooks only read the domain XML libvirt hands them, and building xmlbuilder2's
 * DOM cost a hook 15-20 ms per call; this tree costs next to nothing over the check. It
 * implements the reading half of dom.ts's interfaces, so the device and metadata readers work
 * on either tree. Any edit throws: a document to edit comes from parseXml.
 */
import { CDATA_NODE, COMMENT_NODE, ELEMENT_NODE, PI_NODE, TEXT_NODE, type XmlDocument, type XmlElement, type XmlNode } from './dom.js';

function readOnly(): never {
  throw new Error('this XML was read for reading only: parse it with parseXml to edit it');
}

abstract class ReadOnlyNode implements XmlNode {
  abstract readonly nodeType: number;
  parentNode: ReadOnlyParent | null = null;
  /** Where this node is among its parent's children. */
  index = 0;
  readonly childNodes: readonly ReadOnlyNode[] = [];

  get previousSibling(): XmlNode | null {
    return this.parentNode?.childNodes[this.index - 1] ?? null;
  }

  get nextSibling(): XmlNode | null {
    return this.parentNode?.childNodes[this.index + 1] ?? null;
  }

  get textContent(): string | null {
    return this.text();
  }

  set textContent(_: string | null) {
    readOnly();
  }

  protected abstract text(): string | null;

  insertBefore(): XmlNode {
    return readOnly();
  }

  appendChild(): XmlNode {
    return readOnly();
  }

  removeChild(): XmlNode {
    return readOnly();
  }

  replaceChild(): XmlNode {
    return readOnly();
  }

  cloneNode(): XmlNode {
    return readOnly();
  }
}

/** Text, CDATA, a comment or a processing instruction: data and no children. */
export class ReadOnlyData extends ReadOnlyNode {
  constructor(readonly nodeType: number, readonly data: string, readonly target = '') {
    super();
  }

  protected text(): string {
    return this.data;
  }
}

abstract class ReadOnlyParent extends ReadOnlyNode {
  declare readonly childNodes: ReadOnlyNode[];

  add(node: ReadOnlyNode): void {
    node.parentNode = this;
    node.index = this.childNodes.length;
    this.childNodes.push(node);
  }
}

export interface ReadOnlyAttribute {
  readonly name: string;
  readonly value: string;
}

export class ReadOnlyElement extends ReadOnlyParent implements XmlElement {
  readonly nodeType = ELEMENT_NODE;
  override readonly childNodes: ReadOnlyNode[] = [];

  constructor(
    readonly ownerDocument: ReadOnlyDocument,
    readonly tagName: string,
    readonly localName: string,
    readonly prefix: string | null,
    readonly namespaceURI: string | null,
    readonly attributes: readonly ReadOnlyAttribute[],
  ) {
    super();
  }

  /** As the DOM has it: the text of every text and CDATA node below, comments left out. */
  protected text(): string {
    let text = '';
    for (const c of this.childNodes) {
      if (c.nodeType === TEXT_NODE || c.nodeType === CDATA_NODE || c.nodeType === ELEMENT_NODE) text += c.textContent ?? '';
    }
    return text;
  }

  getAttribute(name: string): string | null {
    return this.attributes.find((a) => a.name === name)?.value ?? null;
  }

  hasAttribute(name: string): boolean {
    return this.attributes.some((a) => a.name === name);
  }

  setAttribute(): void {
    readOnly();
  }

  setAttributeNS(): void {
    readOnly();
  }

  removeAttribute(): void {
    readOnly();
  }
}

export class ReadOnlyDocument extends ReadOnlyParent implements XmlDocument {
  readonly nodeType = 9;
  override readonly childNodes: ReadOnlyNode[] = [];

  get documentElement(): XmlElement | null {
    return (this.childNodes.find((c) => c.nodeType === ELEMENT_NODE) as ReadOnlyElement | undefined) ?? null;
  }

  protected text(): null {
    return null;
  }

  createElement(): XmlElement {
    return readOnly();
  }

  createElementNS(): XmlElement {
    return readOnly();
  }

  createTextNode(): XmlNode {
    return readOnly();
  }
}

/** Builds the tree from the parser's events (saxes with xmlns on), in document order. */
export class ReadOnlyTreeBuilder {
  readonly document = new ReadOnlyDocument();
  private at: ReadOnlyParent = this.document;

  open(tag: { name: string; local: string; prefix: string; uri: string; attributes: Record<string, { name: string; value: string }> }): void {
    const attributes = Object.values(tag.attributes).map((a) => ({ name: a.name, value: a.value }));
    const el = new ReadOnlyElement(this.document, tag.name, tag.local, tag.prefix || null, tag.uri || null, attributes);
    this.at.add(el);
    this.at = el;
  }

  close(): void {
    this.at = this.at.parentNode ?? this.document;
  }

  /** Text outside the root element is only white space, which the DOM doesn't keep either. */
  text(data: string): void {
    if (this.at !== this.document) this.at.add(new ReadOnlyData(TEXT_NODE, data));
  }

  cdata(data: string): void {
    this.at.add(new ReadOnlyData(CDATA_NODE, data));
  }

  comment(data: string): void {
    this.at.add(new ReadOnlyData(COMMENT_NODE, data));
  }

  processingInstruction(target: string, body: string): void {
    this.at.add(new ReadOnlyData(PI_NODE, body, target));
  }
}
