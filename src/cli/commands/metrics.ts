import { Command } from 'commander';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, OperationError } from '../../errors.js';
import { contextOf } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { metricsText } from '../metrics-text.js';

/** The file node_exporter's textfile collector reads (it reads *.prom only, so the temp file is skipped). */
export const TEXTFILE_NAME = 'virt-sriov.prom';

export function metricsCommand(io: CliIo): Command {
  return withCommonOptions(new Command('metrics'))
    .description('Prometheus metrics: each VF\'s traffic by guest, VFs per PF, held VFs\' settings, hook calls and durations, drift the watcher repaired (docs/metrics.md; virt-sriov watch --metrics-listen serves them)')
    .option('--textfile <dir>', `write ${TEXTFILE_NAME} into node_exporter's textfile-collector directory, atomically (run it from a timer)`)
    .action(async function (this: Command, o: { textfile?: string }) {
      const ctx = contextOf(this, io);
      if (o.textfile !== undefined) checkDirectory(o.textfile);
      const text = await metricsText(ctx);
      if (o.textfile === undefined) return io.stdout(text);
      writeAtomically(join(o.textfile, TEXTFILE_NAME), text);
    });
}

function checkDirectory(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // said below
  }
  if (!isDir) {
    throw new InputError(`--textfile ${dir} is not a directory`,
      "give node_exporter's --collector.textfile.directory (Debian's prometheus-node-exporter: /var/lib/prometheus/node-exporter)");
  }
}

/** A scrape never sees half a file: written beside it, then renamed over it. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new OperationError(`cannot write ${path}: ${(e as Error).message}`, 'check that the directory is writable by this user and its file system is not full');
  }
}
