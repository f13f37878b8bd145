import { readFileSync, statSync, watchFile, unwatchFile, openSync, readSync, closeSync } from 'node:fs';
import { Command } from 'commander';
import { OperationError } from '../../errors.js';
import { filterLog, parseLogLines, parseSince, renderEntry, type LogFilter } from '../../log/log-view.js';
import { contextOf, withCommonOptions } from '../context.js';
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

/** Print what is appended to the log until interrupted. */
function follow(path: string, from: number, print: (text: string) => void): Promise<void> {
  let offset = from;
  let partial = '';
  return new Promise((resolve) => {
    const onChange = () => {
      let size = 0;
      try {
        size = statSync(path).size;
      } catch {
        return;
      }
      if (size < offset) offset = 0; // rotated
      if (size === offset) return;
      const fd = openSync(path, 'r');
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      closeSync(fd);
      offset = size;
      const text = partial + buf.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      print(text.slice(0, cut));
    };
    watchFile(path, { interval: 250 }, onChange);
    process.once('SIGINT', () => {
      unwatchFile(path, onChange);
      resolve();
    });
  });
}
