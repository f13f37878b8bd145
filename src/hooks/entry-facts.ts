/**
 * The facts the shell entry (entry-script.ts) answers calls with: what node's hook found when it
 * last validated the config. Written by node (hook-main.ts) into the code cache folder beside the
 * hooks' node code, read by the entry and by node, both only while the config's text is that.
 */
import { readTrustedFile } from '../host/trusted-file.js';

/** The first line of the facts file: its format, and the version whose rules wrote it. */
export function factsMagic(version: string): string {
  return `virt-sriov entry facts 1 ${version}`;
}

/** Where the facts file is: in the code cache folder beside the hooks' node code. */
export const FACTS_FILE = '.cache/config-facts';

export interface ConfigFacts {
  readonly configPath: string;
  /** The config's text as validated. */
  readonly text: string;
  readonly logFile: string;
  readonly stateDir: string;
  readonly pfsConfigured: boolean;
}

/** The facts file's text, or null when a path can't be written on a line of its own. */
export function configFacts(version: string, f: ConfigFacts): string | null {
  const lines = [factsMagic(version), f.configPath, f.logFile, f.stateDir, f.pfsConfigured ? '1' : '0'];
  if (lines.some((l) => /[\n\0]/.test(l)) || f.text.includes('\0')) return null;
  return `${lines.join('\n')}\n${f.text}`;
}

/** The config text the facts were written for, when the facts are this version's and trusted. */
export function validatedConfigText(file: string, version: string, configPath: string): string | undefined {
  const data = readTrustedFile(file)?.toString('utf8');
  const head = `${factsMagic(version)}\n${configPath}\n`;
  if (!data?.startsWith(head)) return undefined;
  // magic, config path, log, state, pfs: the text follows the fifth line
  let at = 0;
  for (let i = 0; i < 5 && at >= 0; i++) at = data.indexOf('\n', at) + 1 || -1;
  return at > 0 ? data.slice(at) : undefined;
}
