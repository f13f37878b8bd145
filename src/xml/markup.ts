/**
 * XML's markup, as regular expressions: the one tokenizer of libvirt XML read as text, without
 * a parser. The scan `status` runs over every defined domain (device-scan.ts) reads tokens of
 * MARKUP_TOKEN; the message that points at a bare '&' (document.ts) walks the same tokens; and
 * the hooks' triage (src/hooks/triage.ts, and the shell entry generated from it) spells its
 * start tags with S, startTag and startTagWith. A document that is checked and built goes
 * through saxes, once (document.ts).
 */

/** XML's white space (its `S`): no other (JavaScript's \s has more). ERE reads it alike. */
export const S = '[ \\t\\r\\n]';

/** A start tag `<name>`, `<name ...>` or `<name/>`: in the part of the syntax JavaScript and POSIX ERE read alike. */
export function startTag(name: string): string {
  return `<${name}[${S.slice(1, -1)}/>]`;
}

/**
 * A start tag `<name ...>` whose attribute `attribute` is one of `values`, in either quote:
 * in the part of the syntax that JavaScript and POSIX ERE read alike (the triage's rules).
 */
export function startTagWith(name: string, attribute: string, values: readonly string[]): string {
  const value = values.length === 1 ? values[0]! : `(?:${values.join('|')})`;
  return `<${name}${S}[^>]*${attribute}${S}*=${S}*["']${value}["']`;
}

/**
 * One token of markup, by its first characters: a comment, CDATA, a processing instruction or
 * XML declaration, an end tag (group 1 its name), a start tag (2 its name, 3 its attributes,
 * 4 '/' when it closes itself), a text run, or a '<' that starts none of them (or a tag with
 * an unquoted attribute), matched alone: an error for whoever reads the token. Global: set
 * lastIndex before a walk.
 */
export const MARKUP_TOKEN = new RegExp(
  `<!--[\\s\\S]*?-->|<!\\[CDATA\\[[\\s\\S]*?\\]\\]>|<\\?[\\s\\S]*?\\?>|<\\/([^${S.slice(1, -1)}>]+)${S}*>`
  + `|<([^${S.slice(1, -1)}/>!?]+)((?:${S}+[^${S.slice(1, -1)}=/>]+${S}*=${S}*(?:'[^']*'|"[^"]*"))*)${S}*(\\/?)>|[^<]+|<`, 'g');

/** A start tag's attributes (MARKUP_TOKEN's group 3): 1 the name, 2 or 3 the value in single or double quotes. */
export const ATTRIBUTE = new RegExp(`([^${S.slice(1, -1)}=]+)${S}*=${S}*(?:'([^']*)'|"([^"]*)")`, 'g');
