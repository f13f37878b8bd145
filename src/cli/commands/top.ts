import { Command, InvalidArgumentError } from 'commander';
import { performance } from 'node:perf_hooks';
import { guestRates, vfRates, vfReadings, type VfReading } from '../../traffic/rates.js';
import { renderTopLines, renderTopScreen } from '../../traffic/top-view.js';
import { isVirtSriovError } from '../../errors.js';
import { noCounterReasons } from '../../traffic/vf-counters.js';
import { contextOf } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import { readHostWithHolders, selectPfs } from '../host-reading.js';
import type { CliIo } from '../io.js';

interface TopOptions {
  pf?: string;
  delay: number;
  iterations?: number;
}

function positive(what: string, integer: boolean) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${what} must be a ${integer ? 'whole number' : 'number of seconds'} above 0`);
    }
    return n;
  };
}

export function topCommand(io: CliIo): Command {
  return withCommonOptions(new Command('top'))
    .description("Live traffic per guest and per VF, busiest first, drops highlighted; plain lines when stdout isn't a terminal")
    .option('--pf <iface>', 'only this PF')
    .option('-d, --delay <seconds>', 'seconds between refreshes', positive('--delay', false), 2)
    .option('-n, --iterations <n>', 'stop after this many refreshes (default: until interrupted)', positive('--iterations', true))
    .action(async function (this: Command, o: TopOptions) {
      const ctx = contextOf(this, io);
      const pfs = selectPfs(ctx, o.pf);
      const rows = io.stdoutTerminalRows?.() ?? null;
      let before: { readings: VfReading[]; t: number } | null = null;
      let readOnce = false;
      for (let shown = 0; o.iterations === undefined || shown < o.iterations;) {
        let reading;
        try {
          reading = await readHostWithHolders(ctx, pfs);
        } catch (e) {
          // a PF gone for a moment (its driver reloading) is said, and the view goes on; a host
          // that can't be read at all is an error at once
          if (!readOnce || !isVirtSriovError(e, 'operation')) throw e;
          ctx.note(`${e.message.split('\n')[0]}; reading again in ${o.delay} s`);
          before = null;
          shown++;
          if (o.iterations === undefined || shown < o.iterations) await new Promise((r) => setTimeout(r, o.delay * 1000));
          continue;
        }
        readOnce = true;
        const { host, holders } = reading;
        const t = performance.now();
        const readings = vfReadings(host, holders);
        if (before) {
          const vfs = vfRates(before.readings, readings, (t - before.t) / 1000);
          const frame = { at: new Date(), seconds: (t - before.t) / 1000, vfs, guests: guestRates(vfs), notes: noCounterReasons(host.pfs) };
          // on a terminal the screen is redrawn in place (cursor home, clear to the end)
          io.stdout(rows === null ? renderTopLines(frame) : `\x1b[H\x1b[J${renderTopScreen(frame, { rows })}`);
          shown++;
        } else if (rows !== null) {
          io.stdout(`\x1b[H\x1b[Jvirt-sriov top: reading the counters twice, ${o.delay} s apart...\n`);
        }
        before = { readings, t };
        if (o.iterations === undefined || shown < o.iterations) await new Promise((r) => setTimeout(r, o.delay * 1000));
      }
    });
}
