/**
 * The XML templates in templates/. Found next to the code: `src/` in the repo and the bundle's
 * directory when installed are both one level below the folder that holds templates/.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OperationError } from './errors.js';

export function readTemplate(name: string): string {
  const url = new URL(`../templates/${name}`, import.meta.url);
  try {
    return readFileSync(url, 'utf8');
  } catch (e) {
    throw new OperationError(`template ${fileURLToPath(url)} is missing: ${(e as Error).message}`, 'reinstall virt-sriov (./install.sh)');
  }
}
