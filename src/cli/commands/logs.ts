import TailFile from '@logdna/tail-file';
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { OperationError } from '../../errors.js';
import { filterLog, parseLogLines, parseSince, renderEntry, type LogFilter } from '../../log/log-view.js';
import { contextOf } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';

interface LogsOptions {
  domain?: string;
  since?: string;
  follow?: boolean;
  json?: boolean;
}

export function logsCommand(io: CliIo): Command {
  return withCommonOptions(new Command('logs'))
    .description('What the hooks did: one entry per hook call, with every VF change')
    .option('--domain <name>', 'only this domain (or network)')
    .option('--since <time>', 'only since this time (ISO, or 30m, 2h, 1d back from now)')
    .option('-f, --follow', 'keep printing new entries as hooks run')
    .option('--json', 'print the raw JSON lines')
    .action(async function (this: Command, o: LogsOptions) {
      const ctx = contextOf(this, io);
      const path = ctx.config.logFile;
      const filter: LogFilter = { domain: o.domain, since: o.since ? parseSince(o.since) : undefined };
      const print = (text: string) => {
        for (const e of filterLog(parseLogLines(text), filter)) io.stdout((o.json ? JSON.stringify(e) : renderEntry(e)) + '\n');
      };
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !o.follow) {
          throw new OperationError(`cannot read the hook log ${path}: ${(e as Error).message}`,
            'no hook has run yet, or logFile in the config points elsewhere; is virt-sriov installed (install.sh) and the daemon restarted?');
        }
      }
      print(text);
      if (o.follow) await follow(path, Buffer.byteLength(text), print);
    });
}

/**
 * Print what is appended to the log until interrupted, from byte `from` on. @logdna/tail-file
 * follows the log through logrotate: the renamed file is read to its end, then the new one from
 * its start (a truncated one from its start too). A log not there yet is waited for.
 */
async function follow(path: string, from: number, print: (text: string) => void): Promise<void> {
  let stop = false;
  const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => {
    stop = true;
    resolve();
  }));
  while (!existsSync(path) && !stop) await Promise.race([interrupted, new Promise((r) => setTimeout(r, 250))]);
  if (stop) return;
  let partial = '';
  const tail = new TailFile(path, { encoding: 'utf8', startPos: from, pollFileIntervalMs: 250, maxPollFailures: Infinity })
    .on('data', (chunk: string) => {
      const text = partial + chunk;
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      print(text.slice(0, cut));
    })
    .on('tail_error', () => undefined); // a moment without the file (mid-rotation): it polls on
  await tail.start();
  await interrupted;
  await tail.quit();
}
