/**
 * One scrape of `virt-sriov metrics`, for the one-shot command (stdout, --textfile) and the
 * watcher's /metrics alike: the host read once (one `ip -s -j` per PF, sysfs, libvirt's domains,
 * the records), the hook log read, rendered in the text format.
 */
import { readFileSync } from 'node:fs';
import { OperationError } from '../errors.js';
import { parseLogLines } from '../log/log-view.js';
import { renderExposition } from '../traffic/exposition.js';
import { buildMetrics } from '../traffic/metrics.js';
import type { CommandContext } from './command-context.js';
import { readHostWithHolders, selectPfs } from './host-reading.js';

export async function metricsText(ctx: CommandContext): Promise<string> {
  const { host, holders } = await readHostWithHolders(ctx, selectPfs(ctx, undefined));
  return renderExposition(buildMetrics({ host, holders, log: readHookLog(ctx) }));
}

/** The hook log's entries; none when no hook has run yet. */
function readHookLog(ctx: CommandContext) {
  const path = ctx.config.logFile;
  try {
    return parseLogLines(readFileSync(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new OperationError(`cannot read the hook log ${path}: ${(e as Error).message}`, 'run virt-sriov metrics (or watch) as root, or as a user in the adm group');
  }
}
