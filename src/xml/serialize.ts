/**
 * XML out: a serializer of our own, because libvirt writes attributes in single quotes and an
 * admin diffing `virsh dumpxml` against our output should see only what changed. What is as
 * it was read (parseXml) is written as it was written (its source form, light-dom.ts); what was
 * built or changed since is written anew, in the quotes of where it stands.
 */
import { CDATA_NODE, COMMENT_NODE, ELEMENT_NODE, PI_NODE, TEXT_NODE, type XmlElement, type XmlNode } from './dom.js';
import type { ParsedXml, Quote } from './document.js';
import { sourceFormOf, writtenQuoteOf } from './light-dom.js';

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

function writeNode(node: XmlNode, quote: Quote, out: string[]): void {
  switch (node.nodeType) {
    case ELEMENT_NODE: {
      const el = node as XmlElement;
      // an element keeps its own quotes; a new one takes those of its surroundings (metadata: double)
      const own = writtenQuoteOf(el) ?? quote;
      const written = sourceFormOf(el);
      if (written !== null) {
        out.push(written);
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
    case TEXT_NODE:
      out.push(sourceFormOf(node) ?? escapeText(node.textContent ?? ''));
      return;
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

function escapeText(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(v: string, quote: Quote): string {
  const s = v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
  return quote === "'" ? s.replace(/'/g, '&apos;') : s.replace(/"/g, '&quot;');
}
