/** Where the CLI reads and writes, so tests can run it in process. */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface CliIo {
  readStdin(): Promise<string>;
  /** Whether stdin is a terminal (nobody piped anything in); absent means no. */
  stdinIsTerminal?(): boolean;
  /** The terminal's height when stdout is one (null or absent: not a terminal). */
  stdoutTerminalRows?(): number | null;
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  stdinIsTerminal: () => process.stdin.isTTY === true,
  stdoutTerminalRows: () => (process.stdout.isTTY ? process.stdout.rows || 24 : null),
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/** FILE, or stdin for none or `-`. Returns the text and how to name it in messages. */
export async function readInput(io: CliIo, file: string | undefined): Promise<{ text: string; what: string }> {
  if (file === undefined || file === '-') return { text: await io.readStdin(), what: 'stdin' };
  try {
    return { text: readFileSync(file, 'utf8'), what: file };
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'check the path');
  }
}
