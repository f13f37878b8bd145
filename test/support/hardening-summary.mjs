// jest globalTeardown of the hardening project: this run's figures as the table of
// docs/reliability.md (threat, test, cases, faults, races, failures, time, seed).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export default function summary() {
  const dir = process.env.HARDENING_SUMMARY_DIR;
  if (!dir || !existsSync(dir)) return;
  const figures = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('counterexample-'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')))
    .sort((a, b) => a.test.localeCompare(b.test));
  if (figures.length === 0) return;
  const n = (v) => (v === undefined ? '' : v.toLocaleString('en-US'));
  const rows = figures.map((f) => `| ${f.threat} | ${f.test.replace(/\|/g, '\\|')} | ${n(f.cases)} | ${n(f.faults)} | ${n(f.races)} | ${f.failures} | ${f.seconds} s | ${f.seed ?? ''} |`);
  const sum = (k) => figures.reduce((t, f) => t + (f[k] ?? 0), 0);
  process.stdout.write([
    '',
    `hardening figures (${dir}):`,
    '| threat | test | cases | faults | races | failures | time | seed |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| all | ${figures.length} figures | ${n(sum('cases'))} | ${n(sum('faults'))} | ${n(sum('races'))} | ${sum('failures')} | | |`,
    '',
  ].join('\n'));
}
