/**
 * The CLI's write side against libvirt's test driver (test:///default: one host shared by the
 * whole process), with VFs from a fake sysfs: what an admin sees in the domain XML afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/program.js';
import { openLibvirt, type LibvirtConnection } from '../../../src/libvirt/index.js';
import { FakeHost } from '../../support/fake-host.js';

const URI = 'test:///default';
let host: FakeHost;
let dir: string;
let config: string;
let conn: LibvirtConnection;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...argv, '-c', URI, '--config-file', config], {
    readStdin: async () => '', stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

const domainXml = (name: string, devices = '') => `<domain type='test'>
  <name>${name}</name>
  <memory unit='KiB'>65536</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
${devices}
  </devices>
</domain>
`;

beforeAll(() => {
  // eth3: a second PF, without VFs; eno1: a NIC without SR-IOV
  host = FakeHost.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 4 }, { name: 'eth3', pci: '0000:03:00.0' }]);
  mkdirSync(join(host.sysRoot, 'class/net/eno1'), { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'virt-sriov-cli-'));
  config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ sysfsRoot: host.sysRoot, stateDir: join(dir, 'state'), logFile: join(dir, 'log') }));
  conn = openLibvirt({ uri: URI });
});

afterAll(() => {
  conn?.close();
  host?.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('define', () => {
  test('converts to the best style the connected libvirt runs and defines the domain', async () => {
    const file = join(dir, 'web1.xml');
    writeFileSync(file, domainXml('web1', `    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/></source>
    </hostdev>`).replace('<devices>', "<metadata><sriov:vfs xmlns:sriov='http://virt-sriov.org/xmlns/domain/1.0'><sriov:vf pci='0000:01:10.0' mac='52:54:00:00:00:01' vlan='10' trust='on'/></sriov:vfs></metadata>\n  <devices>"));
    const r = await cli('define', file);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('domain web1 defined with interface style');
    const xml = conn.domains.xml('web1', { inactive: true });
    expect(xml).toMatch(/<interface type='hostdev' managed='yes'>\s*<mac address='52:54:00:00:00:01'\/>/);
    expect(xml).toContain("<tag id='10'/>");
    expect(xml).toMatch(/interface-mac=["']52:54:00:00:00:01["'] trust=["']on["']/);
  });

  test('bad XML defines nothing (exit 2)', async () => {
    const file = join(dir, 'bad.xml');
    writeFileSync(file, '<domain><name>bad</name>');
    const r = await cli('define', file);
    expect(r.code).toBe(2);
    expect(conn.domains.lookup('bad')).toBeNull();
  });
});

describe('attach and detach', () => {
  beforeAll(() => {
    for (const name of ['fw1', 'fw2']) conn.domains.define(domainXml(name));
  });

  test('attach --pf picks a free VF, skipping those other domains name, and keeps the settings', async () => {
    const r = await cli('attach', 'fw1', '--pf', 'eth0', '--vlan', '403', '--trust', 'on', '--max-tx-rate', '100');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // web1 holds 0000:01:10.0
    expect(r.stdout).toContain('on VF 0000:01:10.2 (eth0)');
    const xml = conn.domains.xml('fw1', { inactive: true });
    expect(xml).toContain("<address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>");
    expect(xml).toContain("<tag id='403'/>");
    expect(xml).toMatch(/interface-mac=["']52:54:00:[0-9a-f:]{8}["'] trust=["']on["'] max-tx-rate=["']100["']/);
  });

  test('a VLAN of 5000 is refused before anything changes', async () => {
    const before = conn.domains.xml('fw2', { inactive: true });
    const r = await cli('attach', 'fw2', '--pf', 'eth0', '--vlan', '5000');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('VLAN 5000 is out of range (1-4094)');
    expect(conn.domains.xml('fw2', { inactive: true })).toBe(before);
  });

  test('an exhausted pool says so and changes nothing', async () => {
    expect((await cli('attach', 'fw2', '--pf', 'eth0')).code).toBe(0);
    expect((await cli('attach', 'fw2', '--pf', 'eth0')).code).toBe(0);
    const before = conn.domains.xml('fw2', { inactive: true });
    const r = await cli('attach', 'fw2', '--pf', 'eth0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no free VF on eth0: all 4 are taken: 0000:01:10\.0 \(web1\), 0000:01:10\.2 \(fw1\), 0000:01:10\.4 \(fw2\), 0000:01:10\.6 \(fw2\)/);
    expect(conn.domains.xml('fw2', { inactive: true })).toBe(before);
  });

  test('detach --vf removes the NIC and its virt-sriov settings', async () => {
    const r = await cli('detach', 'fw1', '--vf', '0000:01:10.2');
    expect(r).toMatchObject({ code: 0 });
    const xml = conn.domains.xml('fw1', { inactive: true });
    expect(xml).not.toContain("function='0x2'");
    expect(xml).not.toContain('sriov:vf');
  });

  test('attach --failover adds the VF and, right before it, a virtio-net standby with its MAC: a <teaming> pair libvirt takes', async () => {
    conn.domains.define(domainXml('ha1'));
    const r = await cli('attach', 'ha1', '--pf', 'eth0', '--vlan', '7', '--failover', 'default');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/in a failover pair with a virtio-net standby on network default/);
    const xml = conn.domains.xml('ha1', { inactive: true });
    const mac = /<mac address='([0-9a-f:]+)'/.exec(xml)![1]!;
    const TARGET = "(\\s*<target dev='\\w+'/>)?"; // the test driver names each NIC's host side
    expect(xml).toMatch(new RegExp(`<interface type='network'>\\s*<mac address='${mac}'/>\\s*<source network='default'/>${TARGET}\\s*<model type='virtio'/>\\s*`
      + `<teaming type='persistent'/>\\s*<alias name='ua-sriov-standby'/>\\s*</interface>\\s*<interface type='hostdev' managed='yes'>\\s*<mac address='${mac}'/>`
      + `[\\s\\S]*<tag id='7'/>\\s*</vlan>${TARGET}\\s*<teaming type='transient' persistent='ua-sriov-standby'/>`));
    // the standby is no VF: detach finds the VF by the MAC both share
    expect((await cli('detach', 'ha1', '--mac', mac, '--print-xml')).stdout).toContain("<teaming type='persistent'/>");
    conn.domains.undefine('ha1');
  });

  test('a MAC another domain uses is refused', async () => {
    const r = await cli('attach', 'fw1', '--pf', 'eth0', '--mac', '52:54:00:00:00:01');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MAC 52:54:00:00:00:01 is already used by domain web1');
  });

  test('an unknown domain is an error that says so', async () => {
    const r = await cli('attach', 'nosuch', '--pf', 'eth0');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('domain nosuch is not defined');
  });
});

describe('network --define, vfs, status', () => {
  test('network --define --autostart defines the pool in libvirt', async () => {
    const r = await cli('network', '--name', 'pool0', '--pf', 'eth0', '--define', '--autostart');
    expect(r.code).toBe(0);
    expect(conn.networks.lookup('pool0')).toMatchObject({ name: 'pool0', autostart: true });
    expect(conn.networks.xml('pool0')).toContain("<pf dev='eth0'/>");
  });

  test('vfs shows which guest holds each VF, and refuses to remove VFs guests are pinned to', async () => {
    const show = await cli('vfs', 'eth0');
    expect(show.stdout).toContain('eth0: 4 of 7 VFs');
    expect(show.stdout).toMatch(/vf 0 {2}0000:01:10\.0 {2}web1 \(defined\)/);
    const r = await cli('vfs', 'eth0', '--count', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('would take away VF 2 (0000:01:10.4) held by fw2');
    expect(host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('4');
    // the kernel's part: a write to sriov_numvfs makes the VFs
    const kernel = setInterval(() => {
      const want = Number(host.sysfs.read('class/net/eth0/device/sriov_numvfs'));
      if (want !== host.load().pfs.eth0!.vfs.length) host.setNumVfs('eth0', 0), host.setNumVfs('eth0', want);
    }, 10);
    const up = await cli('vfs', 'eth0', '--count', '6').finally(() => clearInterval(kernel));
    expect(up).toMatchObject({ code: 0, stdout: `eth0: 4 -> 6 VFs; recorded in ${config}: made again at boot\n` });
    expect(host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('6');
  });

  test('status --json names the domain holding each VF, null when free', async () => {
    const ip = join(dir, 'fake-ip.mjs');
    const { build } = await import('esbuild');
    await build({ entryPoints: ['test/support/fake-ip-cli.ts'], bundle: true, platform: 'node', format: 'esm', outfile: ip, logLevel: 'error' });
    writeFileSync(config, JSON.stringify({ sysfsRoot: host.sysRoot, stateDir: join(dir, 'state'), ipCommand: [process.execPath, ip, host.root] }));
    const r = await cli('status', '--json');
    expect(r.code).toBe(0);
    const vfs = JSON.parse(r.stdout).pfs[0].vfs;
    const holder = (h: { domain: string; running: boolean } | null) => h && { domain: h.domain, running: h.running };
    expect(vfs.map((v: { domain: { domain: string; running: boolean } | null }) => holder(v.domain))).toEqual([
      { domain: 'web1', running: false }, null, { domain: 'fw2', running: false }, { domain: 'fw2', running: false }, null, null,
    ]);
    // the guest's NIC on the VF, by its MAC: the one web1 was given, the ones fw2's were generated
    expect(vfs[0].domain.mac).toBe('52:54:00:00:00:01');
    expect(vfs[2].domain.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  });
});

describe('a look before a change: --print-xml and --dry-run change nothing', () => {
  beforeAll(() => {
    conn.domains.define(domainXml('calm'));
  });

  test('define --print-xml prints the domain as it would be defined, and defines nothing', async () => {
    const file = join(dir, 'preview.xml');
    writeFileSync(file, domainXml('preview', `    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></source>
    </hostdev>`));
    const r = await cli('define', file, '--print-xml');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<domain type='test'>\n {2}<name>preview<\/name>[\s\S]*<interface type='hostdev' managed='yes'>/);
    expect(r.stderr).toMatch(/^virt-sriov: nothing changed \(--print-xml\): domain preview defined with interface style SR-IOV devices/);
    expect(conn.domains.lookup('preview')).toBeNull();
    const dry = await cli('define', file, '--dry-run');
    expect(dry.stdout).toMatch(/^nothing changed \(--dry-run\): domain preview defined with interface style/);
    expect(conn.domains.lookup('preview')).toBeNull();
  });

  test('attach --print-xml prints the domain with the new NIC (a free VF, a new MAC), and changes nothing', async () => {
    const before = conn.domains.xml('calm', { inactive: true });
    const r = await cli('attach', 'calm', '--pf', 'eth0', '--vlan', '42', '--print-xml');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/<interface type='hostdev' managed='yes'>[\s\S]*<tag id='42'\/>/);
    expect(r.stderr).toMatch(/^virt-sriov: nothing changed \(--print-xml\): domain calm: added <interface type='hostdev'> on VF \S+ \(eth0\)/);
    const dry = await cli('attach', 'calm', '--pf', 'eth0', '--dry-run', '--current');
    expect(dry.stdout).toMatch(/^nothing changed \(--dry-run\): domain calm: added <interface type='hostdev'> on VF/);
    expect(conn.domains.xml('calm', { inactive: true })).toBe(before);
  });

  test('detach --print-xml prints the domain without the NIC, and changes nothing', async () => {
    expect((await cli('attach', 'calm', '--pf', 'eth0', '--mac', '52:54:00:00:00:42')).code).toBe(0);
    const before = conn.domains.xml('calm', { inactive: true });
    const r = await cli('detach', 'calm', '--mac', '52:54:00:00:00:42', '--print-xml');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<domain type='test'>/);
    expect(r.stdout).not.toContain('52:54:00:00:00:42');
    expect(conn.domains.xml('calm', { inactive: true })).toBe(before);
  });

  test('vfs --count --dry-run says what would change, and writes nothing', async () => {
    const r = await cli('vfs', 'eth3', '--count', '2', '--dry-run');
    const text = readFileSync(config, 'utf8');
    expect(r).toMatchObject({ code: 0, stdout: `nothing changed (--dry-run): eth3: 0 -> 2 VFs; recorded in ${config}: made again at boot\n` });
    expect(host.sysfs.read('class/net/eth3/device/sriov_numvfs')).toBe('0');
    expect(readFileSync(config, 'utf8')).toBe(text);
  });

  test('--current and --config together are refused, as virsh refuses them', async () => {
    const r = await cli('attach', 'calm', '--pf', 'eth0', '--current', '--config');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('--current and --config are mutually exclusive');
  });
});

describe('network --define checks the PF on this host first', () => {
  test.each([
    ['nosuchnic0', 'there is no interface nosuchnic0 on this host'],
    ['eno1', 'eno1 is not an SR-IOV PF on this host: it offers no VFs'],
  ])('--pf %s: refused, nothing defined', async (pf, message) => {
    const r = await cli('network', '--name', `net-${pf}`, '--pf', pf, '--define');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain(`virt-sriov: ${message}`);
    expect(conn.networks.lookup(`net-${pf}`)).toBeNull();
  });

  test('--define --dry-run checks it all and defines nothing', async () => {
    const r = await cli('network', '--name', 'pool9', '--pf', 'eth3', '--define', '--dry-run');
    expect(r).toMatchObject({ code: 0, stdout: "nothing changed (--dry-run): network pool9 defined: a pool of eth3's VFs; start it with virsh net-start pool9\n" });
    expect(conn.networks.lookup('pool9')).toBeNull();
  });
});

describe('a define that can\'t reach libvirt says it is the connection', () => {
  test('-c to a port nothing listens on', async () => {
    const file = join(dir, 'unreached.xml');
    writeFileSync(file, domainXml('unreached'));
    let stderr = '';
    const code = await runCli(['define', file, '-c', 'qemu+tcp://127.0.0.1:1/system', '--config-file', config], {
      readStdin: async () => '', stdout: () => undefined, stderr: (t) => void (stderr += t),
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^virt-sriov: libvirt could not connect to qemu\+tcp:\/\/127\.0\.0\.1:1\/system \(a problem of the connection\): /);
    expect(stderr).toContain('fix: check the URI and that the libvirt daemon runs');
  });
});
