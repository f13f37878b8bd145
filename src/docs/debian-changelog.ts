/**
 * The Debian changelog (/usr/share/doc/virt-sriov/changelog.gz), written from CHANGELOG.md: one
 * entry per release, its items under their Keep a Changelog heading, dated the release's day.
 * CHANGELOG.md stays the one place a release is described.
 */

export interface ChangelogOptions {
  readonly packageName: string;
  /** "Name <address>", as in the package's Maintainer field. */
  readonly maintainer: string;
}

interface Release {
  readonly version: string;
  readonly date: string;
  readonly items: readonly string[];
}

/** The releases of a Keep a Changelog text, newest first ([Unreleased] is not one). */
export function releases(markdown: string): Release[] {
  const out: { version: string; date: string; items: string[] }[] = [];
  let heading = '';
  let item: string[] | undefined;
  const flush = () => {
    if (item && out.length) out.at(-1)!.items.push(`${heading ? `${heading}: ` : ''}${item.join(' ')}`);
    item = undefined;
  };
  for (const line of markdown.split('\n')) {
    const release = /^## \[([^\]]+)\] - (\d{4}-\d{2}-\d{2})\s*$/.exec(line);
    if (release || /^## /.test(line)) {
      flush();
      if (release) out.push({ version: release[1]!, date: release[2]!, items: [] });
      else out.push({ version: '', date: '', items: [] }); // [Unreleased]: dropped below
      heading = '';
    } else if (/^### /.test(line)) {
      flush();
      heading = line.slice(4).trim();
    } else if (/^- /.test(line)) {
      flush();
      item = [line.slice(2).trim()];
    } else if (item && /^\s+\S/.test(line)) {
      item.push(line.trim());
    } else {
      flush();
    }
  }
  flush();
  return out.filter((r) => r.version);
}

/** Words wrapped to `width` columns, the first line after `first`, the others after `rest`. */
function wrap(text: string, first: string, rest: string, width = 78): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length + 1 > width && line.trim() !== first.trim()) {
      lines.push(line.trimEnd());
      line = rest;
    }
    line += (line === first || line === rest ? '' : ' ') + word;
  }
  lines.push(line.trimEnd());
  return lines;
}

/** RFC 5322 date of a release day, at noon UTC (CHANGELOG.md gives only the day). */
function rfc5322(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${names[d.getUTCDay()]}, ${String(d.getUTCDate()).padStart(2, '0')} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} 12:00:00 +0000`;
}

export function debianChangelog(markdown: string, options: ChangelogOptions): string {
  const all = releases(markdown);
  if (!all.length) throw new Error('CHANGELOG.md has no release ("## [X.Y.Z] - YYYY-MM-DD")');
  return all.map((r) => [
    `${options.packageName} (${r.version}) unstable; urgency=medium`,
    '',
    ...(r.items.length ? r.items : ['Release.']).flatMap((i) => wrap(i.replace(/`/g, ''), '  * ', '    ')),
    '',
    ` -- ${options.maintainer}  ${rfc5322(r.date)}`,
    '',
  ].join('\n')).join('\n');
}
