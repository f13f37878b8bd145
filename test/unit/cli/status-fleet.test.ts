/**
 * `status -c URI -c URI`: each host through libvirt alone, over two test-driver hosts with SR-IOV
 * node devices (test/fixtures/libvirt/sriov-node.xml and sriov-node-b.xml).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from './cli-helpers.js';

const A = `test://${fileURLToPath(new URL('../../fixtures/libvirt/sriov-node.xml', import.meta.url))}`;
const B = `test://${fileURLToPath(new URL('../../fixtures/libvirt/sriov-node-b.xml', import.meta.url))}`;
const dir = mkdtempSync(join(tmpdir(), 'virt-sriov-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// the test driver's host name is this machine's: both hosts map by it
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ physicalNetworks: { 'fabric-a': { [hostname()]: ['ens5f0'] } }, stateDir: join(dir, 'state'), logFile: join(dir, 'log') }), { mode: 0o600 });

describe('status -c URI -c URI: the fleet view', () => {
  test('each host: its PFs with their physical network, its VFs and who holds them', async () => {
    const r = await cli(['status', '-c', A, '-c', B, '--json', '--config-file', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.hosts.map((h: { uri: string }) => h.uri)).toEqual([A, B]);
    expect(json.localOnly).toEqual(expect.arrayContaining(['VLAN', 'trust']));
    const [a, b] = json.hosts;
    expect(a.pfs).toMatchObject([{ pci: '0000:03:00.0', netdev: 'eth0', totalVfs: 7, linkUp: true, physnets: [] }]);
    expect(a.pfs[0].vfs.map((v: { pci: string }) => v.pci)).toEqual(['0000:03:10.0', '0000:03:10.2']);
    expect(b.pfs).toMatchObject([{ pci: '0000:05:00.0', netdev: 'ens5f0', physnets: ['fabric-a'] }]);
    expect(b.pfs[0].vfs.map((v: { use: unknown }) => v.use)).toEqual([null, { by: 'guest', name: 'db1', running: true }, null]);
  });

  test('the table says which fields only a run on the host shows', async () => {
    const r = await cli(['status', '-c', A, '-c', B, '--config-file', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ens5f0 \(0000:05:00\.0, [^)]*physical network fabric-a\): 3 of 7 VFs, 1 in use/);
    expect(r.stdout).toMatch(/1\s+0000:05:10\.2\s+-\s+-\s+db1\/ua-sriov0 \(running\)/);
    expect(r.stdout).toContain('Only `virt-sriov status` run on the host itself shows a VF\'s VLAN, QoS, trust, spoofchk');
  });

  test('a host that can\'t be read is named, the others still shown, and the exit code says so', async () => {
    const r = await cli(['status', '-c', A, '-c', 'test:///no/such/file.xml', '--json', '--config-file', config]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).hosts).toHaveLength(1);
    expect(r.stderr).toMatch(/could not read test:\/\/\/no\/such\/file\.xml/);
  });
});
