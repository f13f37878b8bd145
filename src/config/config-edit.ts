/**
 * The CLI's one change to the config: a PF's VF count (`virt-sriov vfs PF --count N`), recorded
 * where the hooks already read it, so the daemon hook brings the PF back to it at every boot.
 * The admin's file stays theirs: every other key, its order and its formatting are kept
 * (jsonc-parser edits the text in place rather than printing the parsed object again).
 */
import { chmodSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as jsonc from 'jsonc-parser';
import { OperationError } from '../errors.js';

/** The indentation the text already uses (its first indented line), else two spaces. */
function formattingOf(text: string): jsonc.FormattingOptions {
  const indent = /^[ \t]+(?=\S)/m.exec(text)?.[0];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent?.length ?? 2, eol };
}

/** The config's text (null: there is no file yet) with pfs.PF.numVfs set to `count`. Pure. */
export function withVfCount(text: string | null, pf: string, count: number): string {
  const base = text === null || text.trim() === '' ? '{}\n' : text;
  const edited = jsonc.applyEdits(base, jsonc.modify(base, ['pfs', pf, 'numVfs'], count, { formattingOptions: formattingOf(base) }));
  return edited.endsWith('\n') ? edited : `${edited}\n`;
}

/**
 * Write `pf`'s VF count into the config file at `path` (created if there is none), atomically
 * (write beside, rename), with the file's mode as it was (0644 for a new one).
 */
export function recordVfCount(path: string, pf: string, count: number): void {
  let file = path;
  let text: string | null = null;
  let mode = 0o644;
  try {
    file = realpathSync(path); // a config that is a link: the file it names is the config
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new OperationError(`could not read config ${path}: ${(e as Error).message}`, 'check the file and its permissions');
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(tmp, withVfCount(text, pf, count), { mode });
    chmodSync(tmp, mode); // as it was, whatever the umask
    renameSync(tmp, file);
  } catch (e) {
    throw new OperationError(`could not record ${pf}'s VF count in config ${path}: ${(e as Error).message}`,
      `run as root, or set "pfs": {"${pf}": {"numVfs": ${count}}} in ${path} by hand`);
  }
}
