/**
 * libvirt's own schema check, offline: `virt-xml-validate FILE domain` is xmllint --relaxng over
 * the libvirt package's domain.rng; one xmllint run checks many files against one compiled
 * schema. CI installs libvirt-clients and libxml2-utils (.ci/run); without them the test fails
 * and says what to install, never skips.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SCHEMAS = '/usr/share/libvirt/schemas';

/** The files of `docs` (name -> XML) that domain.rng rejects, each with xmllint's words. */
export function invalidDomains(docs: ReadonlyMap<string, string>): Map<string, string> {
  if (!existsSync(join(SCHEMAS, 'domain.rng'))) {
    throw new Error(`${SCHEMAS}/domain.rng is missing: install libvirt-clients and libxml2-utils (apt-get install libvirt-clients libxml2-utils)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-schema-'));
  try {
    const files = [...docs].map(([name, xml], i) => {
      const file = join(dir, `${i}.xml`);
      writeFileSync(file, xml);
      return { name, file };
    });
    let report = '';
    try {
      execFileSync('xmllint', ['--noout', '--relaxng', join(SCHEMAS, 'domain.rng'), ...files.map((f) => f.file)], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer; code?: string };
      if (err.code === 'ENOENT') throw new Error('xmllint is missing: apt-get install libxml2-utils');
      report = String(err.stderr ?? '');
    }
    const bad = new Map<string, string>();
    for (const { name, file } of files) {
      const lines = report.split('\n').filter((l) => l.startsWith(file) && !l.endsWith(' validates'));
      if (lines.length) bad.set(name, lines.join('\n').replaceAll(file, name));
    }
    return bad;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
