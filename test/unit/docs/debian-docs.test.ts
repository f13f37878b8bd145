/** The Debian changelog from CHANGELOG.md, and the copyright from the shipped packages' facts. */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { debianCopyright } from '../../../src/docs/copyright.js';
import { debianChangelog, releases } from '../../../src/docs/debian-changelog.js';

const MAINTAINER = 'virt-sriov developers <maintainers@virt-sriov.org>';

describe('Debian changelog', () => {
  const markdown = `# Changelog
## [Unreleased]
### Added
- not released yet

## [0.2.0] - 2027-01-15
### Fixed
- the \`reset\` policy
  keeps the VLAN off

## [0.1.0] - 2026-12-05
### Added
- hooks
`;

  test('one entry per release, newest first; [Unreleased] is none; items under their heading', () => {
    expect(releases(markdown)).toEqual([
      { version: '0.2.0', date: '2027-01-15', items: ['Fixed: the `reset` policy keeps the VLAN off'] },
      { version: '0.1.0', date: '2026-12-05', items: ['Added: hooks'] },
    ]);
  });

  test('in dpkg\'s format: a header, items, and the trailer with an RFC 5322 date', () => {
    const text = debianChangelog(markdown, { packageName: 'virt-sriov', maintainer: MAINTAINER });
    expect(text.split('\n').slice(0, 6)).toEqual([
      'virt-sriov (0.2.0) unstable; urgency=medium', '', '  * Fixed: the reset policy keeps the VLAN off', '',
      ` -- ${MAINTAINER}  Fri, 15 Jan 2027 12:00:00 +0000`, '',
    ]);
  });

  test('the repository\'s CHANGELOG.md makes items of at most 80 columns (the trailer is dpkg\'s)', () => {
    const text = debianChangelog(readFileSync('CHANGELOG.md', 'utf8'), { packageName: 'virt-sriov', maintainer: MAINTAINER });
    expect(text.split('\n').filter((l) => l.length > 80 && !l.startsWith(' -- '))).toEqual([]);
    expect(text).toMatch(/^virt-sriov \(\d+\.\d+\.\d+\) unstable; urgency=medium$/m);
  });
});

describe('Debian copyright', () => {
  const facts = {
    upstream: { name: 'virt-sriov', holders: [`2026 ${MAINTAINER}`], license: 'MIT' },
    packages: [
      { name: 'saxes', version: '6.0.0', license: 'ISC', holders: ['Louis-Dominique Dubeau'] },
      { name: 'commander', version: '13.1.0', license: 'MIT', holders: ['2011 TJ Holowaychuk'] },
    ],
  };

  test('a Files paragraph per package, sorted, and each license\'s text once, under Debian\'s names', () => {
    const text = debianCopyright(facts);
    expect(text).toMatch(/^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m);
    expect(text.indexOf('Files: node_modules/commander/*')).toBeLessThan(text.indexOf('Files: node_modules/saxes/*'));
    expect(text).toContain('Files: node_modules/saxes/*\nCopyright: Louis-Dominique Dubeau\nLicense: ISC\nComment: saxes 6.0.0');
    expect(text.match(/^License: Expat\n Permission is hereby granted/gm)).toHaveLength(1);
    expect(text.match(/^License: ISC\n Permission to use/gm)).toHaveLength(1);
    // a blank line inside a field is " ."
    expect(text).toContain('\n .\n The above copyright notice');
  });

  test('a package under a license it has no text for stops the build, saying which', () => {
    expect(() => debianCopyright({ ...facts, packages: [{ name: 'odd', version: '1.0.0', license: 'WTFPL', holders: [] }] }))
      .toThrow('odd 1.0.0 is under WTFPL, which debian/copyright doesn\'t know yet');
  });
});
