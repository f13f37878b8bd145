// What dist/cli.cjs exports to the `virt-sriov` entry (src/cli/main.ts).
import { processIo } from './io.js';
import { runCli } from './program.js';

export const main = (argv: readonly string[]): Promise<number> => runCli(argv, processIo);
