/**
 * `virt-sriov logs --follow` as an admin leaves it running: it keeps printing through a
 * logrotate (the log renamed, a new one created) and a truncation, and stops at Ctrl-C.
 */
import { afterAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, requireBuild } from '../hooks/hook-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-logs-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const line = (object: string) => `${JSON.stringify({ time: '2026-11-24T10:00:00.000Z', hook: 'qemu', op: 'prepare', subop: 'begin', object, result: 'ok', durationMs: 1, vfs: [], changes: [], notes: [] })}\n`;

test('follows the log through a rename, a new file and a truncation, then stops at SIGINT', async () => {
  requireBuild();
  const log = join(dir, 'virt-sriov.log');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ logFile: log, stateDir: join(dir, 'state') }));
  writeFileSync(log, line('before'));
  const c = spawn(process.execPath, [DIST.cli, 'logs', '--follow', '--config-file', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = c;
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const seen = async (object: string) => {
    for (let i = 0; i < 100 && !out.includes(` ${object} `); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain(` ${object} `);
  };
  await seen('before');
  appendFileSync(log, line('appended'));
  await seen('appended');
  // logrotate: the log renamed (a hook still writing to it), a new one created
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, line('late-in-old'));
  writeFileSync(log, line('in-new'));
  await seen('in-new');
  await seen('late-in-old');
  // copytruncate: emptied, and written again after a moment (a poll sees it shorter)
  truncateSync(log, 0);
  await new Promise((r) => setTimeout(r, 1000));
  appendFileSync(log, line('after-truncate'));
  await seen('after-truncate');
  const exit = new Promise<number | null>((r) => c.on('exit', r));
  c.kill('SIGINT');
  expect(await exit).toBe(0);
  expect(out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[4])).toEqual(['before', 'appended', 'late-in-old', 'in-new', 'after-truncate']);
}, 30_000);
