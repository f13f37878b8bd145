import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordVfCount, withVfCount } from '../../../src/config/config-edit.js';
import { loadConfig } from '../../../src/config/config.js';

describe('withVfCount: a PF\'s VF count written into the admin\'s config text', () => {
  test('a count already there changes in place; every other byte stays', () => {
    const text = '{\n    "releasePolicy": "reset",\n    "pfs": { "eth1": { "numVfs": 8, "quirks": ["recreate-vfs-after-mac"] } },\n    "logFile": "/var/log/x.log"\n}\n';
    expect(withVfCount(text, 'eth1', 4)).toBe(text.replace('"numVfs": 8', '"numVfs": 4'));
  });

  test('a new PF is added in the file\'s own indentation, keys and order kept', () => {
    const text = '{\n\t"stateDir": "/run/virt-sriov",\n\t"pfs": {\n\t\t"eth1": {\n\t\t\t"numVfs": 8\n\t\t}\n\t}\n}\n';
    const out = withVfCount(text, 'eth0', 2);
    expect(JSON.parse(out)).toEqual({ stateDir: '/run/virt-sriov', pfs: { eth1: { numVfs: 8 }, eth0: { numVfs: 2 } } });
    expect(out.startsWith('{\n\t"stateDir": "/run/virt-sriov",\n\t"pfs": {\n\t\t"eth1"')).toBe(true);
    expect(out).toContain('\n\t\t"eth0": {\n\t\t\t"numVfs": 2\n\t\t}');
  });

  test('no file, an empty one, or one without pfs', () => {
    expect(JSON.parse(withVfCount(null, 'eth0', 3))).toEqual({ pfs: { eth0: { numVfs: 3 } } });
    expect(JSON.parse(withVfCount('', 'eth0', 3))).toEqual({ pfs: { eth0: { numVfs: 3 } } });
    expect(JSON.parse(withVfCount('{ "releasePolicy": "reset" }', 'eth0', 0))).toEqual({ releasePolicy: 'reset', pfs: { eth0: { numVfs: 0 } } });
  });
});

describe('recordVfCount: the file', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('keeps the file\'s mode, and the result is a config the hooks read', () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-config-edit-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, '{ "networks": { "sriov": { "vlan": 403 } } }\n', { mode: 0o600 });
    recordVfCount(file, 'eth0', 4);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadConfig(file)).toMatchObject({ pfs: { eth0: { numVfs: 4 } }, networks: { sriov: { vlan: 403 } } });
  });

  test('creates the config (and its folder) when there is none, readable by all, writable by root only', () => {
    dir = mkdtempSync(join(tmpdir(), 'virt-sriov-config-edit-'));
    const file = join(dir, 'etc', 'config.json');
    recordVfCount(file, 'eth0', 2);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pfs: { eth0: { numVfs: 2 } } });
  });
});
