/**
 * Builds a light DOM (light-dom.ts) from the checking parser's events (saxes with xmlns on), in
 * document order, with each start tag's and text run's source form when the parser hands it in.
 */
import type { XmlNode } from './dom.js';
import { LightDocument, readElement, readText, type ReadTag } from './light-dom.js';

export class LightTreeBuilder {
  readonly document = new LightDocument();
  private at: XmlNode = this.document;

  open(tag: ReadTag, writtenAs: string | null = null): void {
    const el = readElement(this.document, tag, writtenAs);
    this.at.appendChild(el);
    this.at = el;
  }

  close(): void {
    this.at = this.at.parentNode ?? this.document;
  }

  /** Text outside the root element is only white space, which a document has none of. */
  text(data: string, writtenAs: string | null = null): void {
    if (this.at === this.document) return;
    this.at.appendChild(readText(this.document, data, writtenAs));
  }

  cdata(data: string): void {
    this.at.appendChild(this.document.createCDATASection(data));
  }

  comment(data: string): void {
    this.at.appendChild(this.document.createComment(data));
  }

  processingInstruction(target: string, body: string): void {
    this.at.appendChild(this.document.createProcessingInstruction(target, body));
  }
}
