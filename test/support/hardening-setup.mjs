// jest globalSetup of the hardening project: an empty directory for this run's figures, so the
// table printed at the end (hardening-summary.mjs) shows this run and nothing older.
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  // the test processes inherit it: test/support/hardening.ts writes its figures there
  process.env.HARDENING_SUMMARY_DIR ??= join(tmpdir(), 'virt-sriov-hardening');
  rmSync(process.env.HARDENING_SUMMARY_DIR, { recursive: true, force: true });
  mkdirSync(process.env.HARDENING_SUMMARY_DIR, { recursive: true });
}
