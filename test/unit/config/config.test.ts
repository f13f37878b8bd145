import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_PATH, DEFAULTS, loadConfig, parseConfig } from '../../../src/config/config.js';
import { InputError } from '../../../src/errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'virt-sriov-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refused(raw: unknown): InputError {
  try {
    parseConfig(raw, 'config /etc/virt-sriov/config.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
}

describe('a bad value is an error that names its key', () => {
  test.each([
    [{ pfs: { eth1: { numVfs: -1 } } }, 'pfs.eth1.numVfs: must be at least 0'],
    [{ pfs: { eth1: { numVfs: 5000 } } }, 'pfs.eth1.numVfs: must be at most 4096'],
    [{ pfs: { eth1: { numVfs: 'eight' } } }, 'pfs.eth1.numVfs: expected number'],
    [{ pfs: { eth1: {} } }, 'pfs.eth1.numVfs: is missing'],
    [{ pfs: { eth1: { numVfs: 4, quirks: ['reboot'] } } }, 'pfs.eth1.quirks.0: must be one of recreate-vfs-after-mac'],
    [{ pfs: { eth1: { numVfs: 4, numvfs: 4 } } }, 'pfs.eth1: unknown key numvfs'],
    [{ pfs: [] }, 'pfs: expected record'],
    [{ releasePolicy: 'keep' }, 'releasePolicy: must be one of restore, reset'],
    [{ networks: { sriov: { vlan: 4095 } } }, 'networks.sriov.vlan: must be at most 4094'],
    [{ networks: { sriov: { vlan: 0 } } }, 'networks.sriov.vlan: must be at least 1'],
    [{ networks: { sriov: { qos: 8 } } }, 'networks.sriov.qos: must be at most 7'],
    [{ networks: { sriov: { linkState: 'up' } } }, 'networks.sriov.linkState: must be one of auto, enable, disable'],
    [{ networks: { sriov: { trust: 'on' } } }, 'networks.sriov.trust: expected boolean'],
    [{ networks: { sriov: { maxTxRate: -1 } } }, 'networks.sriov.maxTxRate: must be at least 0'],
    [{ networks: { sriov: { mtu: 9000 } } }, 'networks.sriov: unknown key mtu'],
    [{ ipCommand: [] }, 'ipCommand: must be at least 1'],
    [{ ipCommand: 'ip' }, 'ipCommand: expected array'],
    [{ watch: { metricsListen: 'localhost:9479' } }, 'watch.metricsListen: must be ADDRESS:PORT with an IP address (127.0.0.1:9479, [::1]:9479)'],
    [{ watch: { metricsListen: 9479 } }, 'watch.metricsListen: expected string'],
    [{ watch: { metricsListen: '0.0.0.0:9479' } }, 'watch: metricsListen is not a loopback address (127.0.0.1, ::1): /metrics names guests, their MACs and VLANs, and has no authentication; set metricsAllowRemote to true to serve it there all the same'],
    [{ watch: { metricsListen: '127.0.0.1:9479', port: 1 } }, 'watch: unknown key port'],
    [{ watch: { metricsAllowRemote: 'yes' } }, 'watch.metricsAllowRemote: expected boolean'],
    [{ logfile: '/tmp/x' }, '(top level): unknown key logfile'],
    [{ colour: 'blue', size: 1 }, '(top level): unknown keys colour, size'],
    [[], '(top level): expected object'],
    [null, '(top level): expected object'],
  ])('%j', (raw, message) => {
    const e = refused(raw);
    expect(e.message).toBe(`config /etc/virt-sriov/config.json: ${message}`);
    expect(e.exitCode).toBe(2);
  });

  test('a PF name the kernel would not take names the key', () => {
    expect(refused({ pfs: { 'a-name-longer-than-15': { numVfs: 1 } } }).message)
      .toBe('config /etc/virt-sriov/config.json: pfs.a-name-longer-than-15: is not a valid name');
    expect(refused({ pfs: { 'eth1 ': { numVfs: 1 } } }).message).toBe('config /etc/virt-sriov/config.json: pfs.eth1 : is not a valid name');
  });
});

describe('watch: where the watcher serves /metrics', () => {
  test('a loopback address, IPv4 or IPv6; another only with metricsAllowRemote', () => {
    const at = (watch: unknown) => parseConfig({ watch }, 'config x').watch;
    expect(at({ metricsListen: '127.0.0.1:9479' })).toEqual({ metricsListen: '127.0.0.1:9479' });
    expect(at({ metricsListen: '[::1]:9479' })).toEqual({ metricsListen: '[::1]:9479' });
    expect(at({ metricsListen: '192.0.2.7:9479', metricsAllowRemote: true })).toEqual({ metricsListen: '192.0.2.7:9479', metricsAllowRemote: true });
    expect(refused({ watch: { metricsListen: '192.0.2.7:9479', metricsAllowRemote: false } }).message).toMatch(/watch: metricsListen is not a loopback address/);
    expect(refused({ watch: { metricsListen: '[::]:9479' } }).message).toMatch(/watch: metricsListen is not a loopback address/);
  });
});

describe('loading', () => {
  test('every key is optional: the defaults fill in', () => {
    const c = loadConfig(file('partial.json', JSON.stringify({ pfs: { eth1: { numVfs: 8, quirks: ['recreate-vfs-after-mac'] } }, releasePolicy: 'reset' })));
    expect(c).toEqual({
      ...DEFAULTS,
      pfs: { eth1: { numVfs: 8, quirks: ['recreate-vfs-after-mac'] } },
      releasePolicy: 'reset',
      path: join(dir, 'partial.json'),
    });
  });

  test('an empty object is all defaults, and remembers its file', () => {
    expect(loadConfig(file('empty.json', '{}'))).toEqual({ ...DEFAULTS, path: join(dir, 'empty.json') });
  });

  test('the defaults', () => {
    expect(DEFAULTS).toEqual({
      pfs: {}, releasePolicy: 'restore', networks: {}, physicalNetworks: {}, watch: {}, logFile: '/var/log/libvirt/virt-sriov.log', stateDir: '/run/virt-sriov',
      sysfsRoot: '/sys', ipCommand: ['ip'], path: null,
    });
  });

  test('no file at the default path means the defaults', () => {
    if (existsSync(DEFAULT_CONFIG_PATH)) {
      // this machine has a real config: it must at least load
      expect(loadConfig(undefined).path).toBe(DEFAULT_CONFIG_PATH);
    } else {
      expect(loadConfig(undefined)).toBe(DEFAULTS);
    }
  });

  test('a file asked for by name that is missing is an error naming it', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadConfig(missing)).toThrow(InputError);
    expect(() => loadConfig(missing)).toThrow(new RegExp(`^config ${missing}: ENOENT`));
  });

  test('a directory, or a file that is not JSON', () => {
    expect(() => loadConfig(dir)).toThrow(/EISDIR/);
    expect(() => loadConfig(file('bad.json', '{ "pfs": { eth1: 8 } }'))).toThrow(new RegExp(`^config ${join(dir, 'bad.json')}: not valid JSON`));
  });

  test('a bad value in a file names the file and the key', () => {
    const path = file('negative.json', '{"pfs":{"eth1":{"numVfs":-1}}}');
    expect(() => loadConfig(path)).toThrow(`config ${path}: pfs.eth1.numVfs: must be at least 0`);
  });
});
