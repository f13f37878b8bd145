/**
 * The few roff (man(7)) forms the generated pages use. Text is escaped so that nothing in a
 * description can become a request: a backslash, a leading `.` or `'`, and `-` (roff's hyphen;
 * `\-` is the minus sign an option is typed with, which copy-paste must keep).
 */

/** Escape running text. */
export function roffText(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

/** A request line with quoted arguments (`.TH "A B" 8`). */
export function request(name: string, ...args: string[]): string {
  return `.${name}${args.map((a) => ` "${roffText(a).replace(/"/g, '""')}"`).join('')}`;
}

/** A paragraph of running text: each input line is a line of the source; roff fills them. */
export function paragraph(text: string): string {
  return ['.PP', ...text.trim().split('\n').map((l) => roffText(l.trim()) || '.sp')].join('\n');
}

/** Text kept exactly as written (tables, examples): no filling, no adjusting. */
export function verbatim(text: string, indent = true): string {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n').map((l) => roffText(l) || '');
  return ['.PP', ...(indent ? ['.RS 4'] : []), '.nf', ...lines.map((l) => (l === '' ? '.sp' : l)), '.fi', ...(indent ? ['.RE'] : [])].join('\n');
}

/** The page's header: its title line, then no hyphenation and a ragged right (paths and options stay whole). */
export function header(title: string, section: string, date: string, source: string, manual: string): string {
  return [request('TH', title, section, date, source, manual), '.nh', '.ad l'].join('\n');
}

/** `.TP`: a term in bold (and its value names in italics), then its description. */
export function taggedParagraph(term: string, description: string): string {
  return ['.TP', boldTerm(term), roffText(description.trim())].join('\n');
}

/** `-c, --connect <uri>` as man pages set it: the flags bold, the value names italic. */
export function boldTerm(term: string): string {
  return term.split(/(<[^>]+>|\[[^\]]+\])/).filter(Boolean)
    .map((part) => (/^[<[]/.test(part) ? `\\fI${roffText(part)}\\fR` : `\\fB${roffText(part)}\\fR`)).join('');
}
