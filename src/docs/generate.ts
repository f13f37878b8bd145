/**
 * The pages and scripts written from the CLI's definitions at build time (scripts/build.mjs):
 * virt-sriov(8), virt-sriov.json(5), the bash completion, the Debian changelog and copyright,
 * and the Grafana dashboard, each a file under dist/.
 */
import type { CliIo } from '../cli/io.js';
import { buildProgram } from '../cli/program.js';
import { bashCompletion } from './completion.js';
import { debianCopyright, type CopyrightFacts } from './copyright.js';
import { debianChangelog } from './debian-changelog.js';
import { cliManPage, type ManPageInfo } from './man-cli.js';
import { configManPage } from './man-config.js';
import { grafanaDashboardJson } from './grafana-dashboard.js';

export interface PackageDocs {
  /** CHANGELOG.md's text. */
  readonly changelog: string;
  /** package.json's author: the Debian changelog's and the package's maintainer. */
  readonly maintainer: string;
  readonly copyright: CopyrightFacts;
}

/** dist/-relative path -> text. */
export function generatedDocs(info: ManPageInfo, pkg: PackageDocs): Record<string, string> {
  // a program whose output goes nowhere: nothing here runs a command
  const silent: CliIo = { readStdin: async () => '', stdout: () => undefined, stderr: () => undefined };
  const program = () => buildProgram(silent);
  return {
    'man/virt-sriov.8': cliManPage(program(), info),
    'man/virt-sriov.json.5': configManPage(program(), info),
    'completion/virt-sriov.bash': bashCompletion(program()),
    'doc/changelog': debianChangelog(pkg.changelog, { packageName: 'virt-sriov', maintainer: pkg.maintainer }),
    'doc/copyright': debianCopyright(pkg.copyright),
    // also kept in the repository as templates/grafana-dashboard.json (the build refreshes it)
    'templates/grafana-dashboard.json': grafanaDashboardJson(),
  };
}

/** The release date of `version` in CHANGELOG.md (Keep a Changelog: "## [0.1.0] - 2026-12-05"). */
export function releaseDate(changelog: string, version: string): string {
  const escaped = version.replace(/[.+]/g, (c) => `\\${c}`);
  const date = new RegExp(`^## \\[${escaped}\\] - (\\d{4}-\\d{2}-\\d{2})$`, 'm').exec(changelog)?.[1];
  if (!date) throw new Error(`CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" heading: say what ${version} brings before building it`);
  return date;
}
