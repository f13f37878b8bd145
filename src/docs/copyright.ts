/**
 * debian/copyright (machine-readable format 1.0) for what an install holds: virt-sriov's own
 * code and every npm package bundled into it or shipped beside it (koffi). The bundles are
 * minified without the packages' legal comments, so this file is where their notices live. The
 * build gathers the facts (which packages esbuild bundled, their license files); this module only
 * writes them down.
 */

export interface ShippedPackage {
  readonly name: string;
  readonly version: string;
  /** SPDX, as package.json says it. */
  readonly license: string;
  /** The copyright lines of its license file, else its author. */
  readonly holders: readonly string[];
}

export interface CopyrightFacts {
  readonly upstream: { readonly name: string; readonly source?: string; readonly holders: readonly string[]; readonly license: string };
  readonly packages: readonly ShippedPackage[];
}

/** SPDX ids -> the short names Debian's copyright format uses, and the license texts. */
const LICENSES: Readonly<Record<string, { readonly debian: string; readonly text: string }>> = {
  MIT: {
    debian: 'Expat',
    text: `Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`,
  },
  ISC: {
    debian: 'ISC',
    text: `Permission to use, copy, modify, and/or distribute this software for any purpose with or
without fee is hereby granted, provided that the above copyright notice and this permission
notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH REGARD TO THIS
SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE
AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT,
NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE
OF THIS SOFTWARE.`,
  },
  'Apache-2.0': {
    debian: 'Apache-2.0',
    text: `Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
except in compliance with the License. You may obtain a copy of the License at
http://www.apache.org/licenses/LICENSE-2.0. Unless required by applicable law or agreed to in
writing, software distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

On Debian systems, the complete text of the Apache License, Version 2.0 is in
/usr/share/common-licenses/Apache-2.0.`,
  },
};

function license(spdx: string, what: string): { debian: string; text: string } {
  const l = LICENSES[spdx];
  if (!l) throw new Error(`${what} is under ${spdx}, which debian/copyright doesn't know yet: add its text to LICENSES (src/docs/copyright.ts)`);
  return l;
}

/** A field's value: continuation lines start with a space, an empty line is " ." */
function field(name: string, lines: readonly string[]): string {
  return [`${name}: ${lines[0] ?? ''}`, ...lines.slice(1).map((l) => (l.trim() ? ` ${l}` : ' .'))].join('\n');
}

export function debianCopyright(facts: CopyrightFacts): string {
  const packages = [...facts.packages].sort((a, b) => a.name.localeCompare(b.name));
  const used = new Set([facts.upstream.license, ...packages.map((p) => p.license)]);
  const paragraphs = [
    ['Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/', `Upstream-Name: ${facts.upstream.name}`, ...(facts.upstream.source ? [`Source: ${facts.upstream.source}`] : []),
      'Comment: The CLI and the hooks are bundles (esbuild) of virt-sriov\'s code and of the npm\n packages below; koffi is shipped as it is, beside the CLI.'].join('\n'),
    [field('Files', ['*']), field('Copyright', facts.upstream.holders), field('License', [license(facts.upstream.license, facts.upstream.name).debian])].join('\n'),
    ...packages.map((p) => [
      field('Files', [`node_modules/${p.name}/*`]),
      field('Copyright', p.holders.length ? p.holders : [`the authors of ${p.name}`]),
      field('License', [license(p.license, `${p.name} ${p.version}`).debian]),
      field('Comment', [`${p.name} ${p.version}`]),
    ].join('\n')),
    ...[...used].sort().map((spdx) => {
      const l = license(spdx, spdx);
      return field('License', [l.debian, ...l.text.split('\n')]);
    }),
  ];
  return `${paragraphs.join('\n\n')}\n`;
}
