/**
 * The CLI's write side against a real libvirtd (9.0, QEMU 7.2) private to this file
 * (test/integration/support/private-libvirtd.ts), the built CLI run inside its namespace as an
 * admin runs it on the host (`-c qemu:///system`), with VFs from a fake SR-IOV host in /tmp
 * (shared with the namespace) and a fake kernel process that applies `sriov_numvfs` writes.
 * No hooks are installed: the CLI shapes domains, it does not start them with VFs (this
 * kernel has no VFIO, so a guest with a VF would not start anyway).
 *
 * Two fake hosts, each with its own config (and so its own pool lock):
 *  - the admin's: eth0 (igb-like, 0000:01:00.0, 6 of 8 VFs) and eth2 (0000:02:00.0, 0 of 4 VFs)
 *  - the pool's: eth1 (0000:03:00.0, 64 of 64 VFs), for 64 concurrent `attach` processes.
 *
 * The tests run in order and build on each other, as an admin's session would.
 *
 * `vfs --count` is shown from 0 and to 0 only: from N to M the CLI writes 0 then M at once, as a
 * real kernel takes them, but the fake kernel polls the file and would see only M (fake-kernel.ts).
 *
 * VIRT_SRIOV_CLI_TIMINGS=1 prints the setup time and the 64-attach total, slowest and fastest call.
 * The 64 attaches are CPU-bound on 2 cores: each process spends ~65 ms CPU booting node and the
 * bundle and ~70 ms before it asks for the pool lock (in parallel), then ~130 ms holding it
 * (serial: listing and fully parsing every defined domain's XML, defining the domain).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHost, igbVfAddress } from '../../support/fake-host.js';
import { bundleFakeHostProcesses, startFakeKernel, type FakeHostBundles, type FakeKernel } from '../../support/fake-host-processes.js';
import { startPrivateLibvirtd, type ExecResult, type PrivateLibvirtd } from '../support/private-libvirtd.js';
import { DIST, SRIOV_NS, domainXml, requireBuild } from '../hooks/hook-suite.js';

const URI = 'qemu:///system';
const ETH0 = '0000:01:00.0';
const ETH2 = '0000:02:00.0';
const ETH1 = '0000:03:00.0';
const vf0 = (i: number) => igbVfAddress(ETH0, i); // 0000:01:10.0, 0000:01:10.2, ...
const pool = (i: number) => igbVfAddress(ETH1, i);
const POOL_SIZE = 64;

// /tmp is shared with the namespace: the CLI inside and the test outside see the same files.
const work = mkdtempSync(join(tmpdir(), 'virt-sriov-cli-it-'));
let bundles: FakeHostBundles;
let host: FakeHost;
let poolHost: FakeHost;
let kernel: FakeKernel;
let libvirt: PrivateLibvirtd | undefined;
let adminConfig: string;
let poolConfig: string;
const timings: Record<string, number> = {};

function daemon(): PrivateLibvirtd {
  if (!libvirt) throw new Error('private libvirtd did not start (see beforeAll)');
  return libvirt;
}

interface CliResult extends ExecResult {
  ms: number;
}

/** The built CLI inside the namespace, as root on the host runs it. */
async function cli(args: string[], { config = adminConfig, timeoutMs = 30_000 } = {}): Promise<CliResult> {
  const t0 = performance.now();
  const r = await daemon().exec(process.execPath, [DIST.cli, ...args, '-c', URI, '--config-file', config], { timeoutMs });
  return { ...r, ms: Math.round(performance.now() - t0) };
}

/** A file for `virsh define FILE` or `virt-sriov define FILE` (stdin does not pass through exec). */
function xmlFile(name: string, xml: string): string {
  const file = join(work, `${name}.xml`);
  writeFileSync(file, xml);
  return file;
}

const defineDomain = (name: string, xml = domainXml(name)) => daemon().virshOk('define', xmlFile(name, xml));
const inactiveXml = (name: string) => daemon().virshOk('dumpxml', '--inactive', name);

/** attribute text of a PCI address in libvirt's dumpxml form, as <source><address .../> shows it. */
function pciXml(pci: string): string {
  const [domain, bus, slotFn] = pci.split(':');
  const [slot, fn] = slotFn!.split('.');
  return `domain='0x${domain}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'`;
}

/** The SR-IOV NICs of a dumpxml: each <interface type='hostdev'> or <hostdev>, with its VF and MAC. */
function vfNics(xml: string): { vf: string | null; mac: string | null; text: string }[] {
  const blocks = [...xml.matchAll(/<interface type='hostdev'[\s\S]*?<\/interface>|<hostdev mode='subsystem' type='pci'[\s\S]*?<\/hostdev>/g)].map((m) => m[0]);
  return blocks.map((text) => {
    const a = /<source>\s*<address (?:type='pci' )?domain='0x([0-9a-f]{4})' bus='0x([0-9a-f]{2})' slot='0x([0-9a-f]{2})' function='0x([0-7])'/.exec(text);
    return { vf: a ? `${a[1]}:${a[2]}:${a[3]}.${a[4]}` : null, mac: /<mac address='([0-9a-f:]{17})'/.exec(text)?.[1] ?? null, text };
  });
}

/** The lines of a fake host's virt-sriov log. */
const logLines = (name: string): { hook: string; changes: { setting: string; from: string; to: string }[] }[] => {
  const file = join(work, name, 'virt-sriov.log');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
};

/** The <sriov:vf .../> entries of a dumpxml's virt-sriov metadata. */
function metadataEntries(xml: string): string[] {
  return [...xml.matchAll(/<sriov:vf\b[^>]*\/>/g)].map((m) => m[0]);
}

const isLocallyAdministeredUnicast = (mac: string) => (parseInt(mac.slice(0, 2), 16) & 0b11) === 0b10;

/** Every MAC any defined domain uses. */
async function allMacs(): Promise<string[]> {
  const names = (await daemon().virshOk('list', '--all', '--name')).split('\n').map((s) => s.trim()).filter(Boolean);
  const xmls = await Promise.all(names.map(inactiveXml));
  return xmls.flatMap((x) => [...x.matchAll(/<mac address='([0-9a-f:]{17})'/g)].map((m) => m[1]!));
}

/** A guest with a network-style SR-IOV NIC on `network`. */
const networkGuest = (name: string, network: string, mac: string) => domainXml(name).replace('  </devices>', `    <interface type='network'>
      <mac address='${mac}'/>
      <source network='${network}'/>
      <vlan><tag id='44'/></vlan>
    </interface>
  </devices>`);

beforeAll(async () => {
  requireBuild();
  const t0 = performance.now();
  bundles = await bundleFakeHostProcesses();
  host = FakeHost.create([
    { name: 'eth0', pci: ETH0, totalVfs: 8, numVfs: 6 },
    { name: 'eth2', pci: ETH2, totalVfs: 4, numVfs: 0 },
  ], join(work, 'admin-host'));
  poolHost = FakeHost.create([{ name: 'eth1', pci: ETH1, totalVfs: POOL_SIZE, numVfs: POOL_SIZE }], join(work, 'pool-host'));
  kernel = await startFakeKernel(bundles, host);
  const config = (name: string, h: FakeHost) => {
    const path = join(work, `${name}.json`);
    writeFileSync(path, JSON.stringify({
      sysfsRoot: h.sysRoot, ipCommand: bundles.ipCommand(h), stateDir: join(work, name, 'state'), logFile: join(work, name, 'virt-sriov.log'),
    }, null, 2));
    return path;
  };
  adminConfig = config('admin', host);
  poolConfig = config('pool', poolHost);
  libvirt = await startPrivateLibvirtd();
  timings['setup (bundles, fake hosts, daemon)'] = Math.round(performance.now() - t0);
}, 60_000);

afterAll(async () => {
  await libvirt?.stop();
  await kernel?.stop();
  bundles?.remove();
  rmSync(work, { recursive: true, force: true });
  if (process.env.VIRT_SRIOV_CLI_TIMINGS) console.info(`CLI integration timings (ms): ${JSON.stringify(timings)}`);
}, 30_000);

describe('network --define', () => {
  test('defines a hostdev network on eth0 that virsh lists, with autostart', async () => {
    const r = await cli(['network', '--name', 'sriov', '--pf', 'eth0', '--define', '--autostart']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain('network sriov defined (autostart)');
    expect(await daemon().virshOk('net-list', '--all')).toMatch(/^\s*sriov\s+inactive\s+yes\s+yes\s*$/m);
    const xml = await daemon().virshOk('net-dumpxml', 'sriov');
    expect(xml).toMatch(/<forward mode='hostdev' managed='yes'>[\s\S]*<pf dev='eth0'\/>[\s\S]*<\/forward>/);
  });

  test('a name already defined is refused, and the network stays as it was', async () => {
    const before = await daemon().virshOk('net-dumpxml', 'sriov');
    const r = await cli(['network', '--name', 'sriov', '--pf', 'eth2', '--define']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`network sriov is already defined on ${URI}`);
    expect(await daemon().virshOk('net-dumpxml', 'sriov')).toBe(before);
  });
});

describe('define', () => {
  test('converts a VF <hostdev> to the best style libvirt 9.0 / QEMU 7.2 runs: <interface type=hostdev> with <mac> and <vlan>, the rest in metadata', async () => {
    const file = xmlFile('web1', domainXml('web1', {
      hostdev: vf0(0),
      vfs: [{ pci: vf0(0), mac: '52:54:00:aa:00:01', vlan: '42', trust: 'on', spoofchk: 'off' }],
    }));
    const r = await cli(['define', file]);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain('domain web1 defined with interface style SR-IOV devices (this host runs: network, interface, hostdev)');
    const xml = await inactiveXml('web1');
    const [nic, ...others] = vfNics(xml);
    expect(others).toEqual([]);
    expect(nic).toMatchObject({ vf: vf0(0), mac: '52:54:00:aa:00:01' });
    expect(nic!.text).toMatch(/^<interface type='hostdev' managed='yes'>/);
    expect(nic!.text).toMatch(/<vlan>\s*<tag id='42'\/>\s*<\/vlan>/);
    expect(xml).not.toMatch(/<hostdev /);
    expect(metadataEntries(xml)).toEqual([`<sriov:vf interface-mac="52:54:00:aa:00:01" trust="on" spoofchk="off"/>`]);
    expect(xml).toContain(`xmlns:sriov="${SRIOV_NS}"`);
  });

  test('--to hostdev keeps a plain <hostdev>, with MAC and VLAN in metadata (a <hostdev> has no place for them)', async () => {
    const file = xmlFile('web2', domainXml('web2', {
      hostdev: vf0(1),
      vfs: [{ pci: vf0(1), mac: '52:54:00:aa:00:02', vlan: '43', trust: 'on' }],
    }));
    const r = await cli(['define', file, '--to', 'hostdev']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain('domain web2 defined with hostdev style SR-IOV devices');
    const xml = await inactiveXml('web2');
    const [nic, ...others] = vfNics(xml);
    expect(others).toEqual([]);
    expect(nic!.text).toMatch(/^<hostdev mode='subsystem' type='pci' managed='yes'>/);
    expect(nic).toMatchObject({ vf: vf0(1), mac: null });
    expect(xml).not.toContain('<vlan>');
    expect(metadataEntries(xml)).toEqual([`<sriov:vf pci="${vf0(1)}" mac="52:54:00:aa:00:02" vlan="43" trust="on"/>`]);
  });


  test('a network-style device with --to interface takes a free VF of its network\'s PF (eth0): the first two are web1\'s and web2\'s', async () => {
    const r = await cli(['define', xmlFile('web3', networkGuest('web3', 'sriov', '52:54:00:aa:00:03')), '--to', 'interface']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    const xml = await inactiveXml('web3');
    const [nic, ...others] = vfNics(xml);
    expect(others).toEqual([]);
    expect(nic).toMatchObject({ vf: vf0(2), mac: '52:54:00:aa:00:03' });
    expect(nic!.text).toMatch(/^<interface type='hostdev' managed='yes'>/);
    expect(nic!.text).toMatch(/<tag id='44'\/>/);
    expect(xml).not.toContain("<source network='sriov'/>");
  });
  test('a define libvirt refuses says whose problem it is, the XML\'s or this host\'s, with the fix for that', async () => {
    const video = await cli(['define', xmlFile('badvideo', domainXml('badvideo').replace("<model type='none'/>", "<model type='frob'/>"))]);
    expect(video.exitCode).toBe(1);
    expect(video.stderr).toContain("libvirt could not define domain badvideo (a problem in the XML): unsupported configuration: unknown video model 'frob'");
    expect(video.stderr).toContain('fix: fix the XML; `virt-xml-validate FILE`');
    const machine = await cli(['define', xmlFile('newmachine', domainXml('newmachine').replace("machine='pc'", "machine='pc-q35-99.0'"))]);
    expect(machine.exitCode).toBe(1);
    expect(machine.stderr).toContain('libvirt could not define domain newmachine (a problem of this host, not of the XML): ');
    expect(machine.stderr).toContain('-machine help');
    // KVM: only where this machine has none (the CI machine may have it)
    if (!existsSync('/dev/kvm')) {
      const kvm = await cli(['define', xmlFile('kvmguest', domainXml('kvmguest').replace("<domain type='qemu'>", "<domain type='kvm'>"))]);
      expect(kvm.exitCode).toBe(1);
      expect(kvm.stderr).toContain("libvirt could not define domain kvmguest (a problem of this host, not of the XML): unsupported configuration: Emulator '/usr/bin/qemu-system-x86_64' does not support virt type 'kvm'");
      expect(kvm.stderr).toContain('fix: this host can\'t run KVM guests: turn on VT-x/AMD-V in the BIOS');
    }
    for (const name of ['badvideo', 'newmachine', 'kvmguest']) expect((await daemon().virsh('dominfo', name)).exitCode).not.toBe(0);
  }, 60_000);
});

describe('attach and detach', () => {
  beforeAll(async () => {
    for (const name of ['fw1', 'fw2']) await defineDomain(name);
  });

  test('attach --pf eth0 picks the first free VF, generates a unique locally administered MAC, and places every setting', async () => {
    const macsBefore = await allMacs();
    const r = await cli(['attach', 'fw1', '--pf', 'eth0', '--vlan', '403', '--trust', 'on', '--spoofchk', 'off',
      '--link-state', 'enable', '--max-tx-rate', '100', '--query-rss', 'on']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    // web1, web2 and web3 hold VFs 0-2
    expect(r.stdout).toMatch(new RegExp(`^domain fw1: added <interface type='hostdev'> on VF ${vf0(3).replace(/\./g, '\\.')} \\(eth0\\), MAC ([0-9a-f:]{17}), VLAN 403; it is there from the next start$`));
    const xml = await inactiveXml('fw1');
    const [nic, ...others] = vfNics(xml);
    expect(others).toEqual([]);
    expect(nic!.vf).toBe(vf0(3));
    const mac = nic!.mac!;
    expect(r.stdout).toContain(`MAC ${mac}`);
    expect(isLocallyAdministeredUnicast(mac)).toBe(true);
    expect(macsBefore).not.toContain(mac);
    expect(nic!.text).toMatch(/<vlan>\s*<tag id='403'\/>\s*<\/vlan>/);
    expect(nic!.text).toContain(`<source>\n        <address type='pci' ${pciXml(vf0(3))}/>`);
    expect(metadataEntries(xml)).toEqual([
      `<sriov:vf interface-mac="${mac}" trust="on" spoofchk="off" link-state="enable" max-tx-rate="100" query-rss="on"/>`,
    ]);
  });

  test('attach --mac with a MAC another domain uses is refused, naming it, and fw1 stays as it was', async () => {
    const before = await inactiveXml('fw1');
    const r = await cli(['attach', 'fw1', '--pf', 'eth0', '--mac', '52:54:00:AA:00:01']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('MAC 52:54:00:aa:00:01 is already used by domain web1');
    expect(await inactiveXml('fw1')).toBe(before);
  });

  test('set changes the settings of fw1\'s NIC in its definition (fw1 is not running), each where its style keeps it, and says from what to what', async () => {
    const before = await inactiveXml('fw1');
    const mac = vfNics(before)[0]!.mac!;
    const r = await cli(['set', 'fw1', '--vf', vf0(3), '--vlan', '404', '--trust', 'off', '--max-tx-rate', '200']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toBe(`domain fw1: interface ${mac} in the definition: VLAN 403 -> 404, trust on -> off, max tx rate 100 -> 200`);
    const xml = await inactiveXml('fw1');
    expect(vfNics(xml)[0]!.text).toMatch(/<vlan>\s*<tag id='404'\/>\s*<\/vlan>/);
    expect(metadataEntries(xml)).toEqual([
      `<sriov:vf interface-mac="${mac}" trust="off" spoofchk="off" link-state="enable" max-tx-rate="200" query-rss="on"/>`,
    ]);
    // a VLAN with a priority has no place in libvirt's <vlan>: it goes to metadata, and the XML's goes
    const qos = await cli(['set', 'fw1', '--mac', mac, '--vlan', '404:3', '--config']);
    expect(qos).toMatchObject({ exitCode: 0, stdout: `domain fw1: interface ${mac} in the definition: VLAN 404 -> 404:3` });
    const after = await inactiveXml('fw1');
    expect(vfNics(after)[0]!.text).not.toContain('<vlan>');
    expect(metadataEntries(after)[0]).toContain('vlan="404" qos="3"');
    const usage = await Promise.all([
      cli(['set', 'fw1', '--vf', vf0(3)]), cli(['set', 'fw1', '--vlan', '5']), cli(['set', 'fw1', '--vf', vf0(3), '--vlan', '5', '--live']),
      cli(['set', 'fw1', '--vf', vf0(5), '--vlan', '5']),
    ]);
    expect(usage.map((u) => u.exitCode)).toEqual([2, 2, 2, 2]);
    expect(usage[0]!.stderr).toContain('nothing to change');
    expect(usage[2]!.stderr).toContain('--live: domain fw1 is not running');
    expect(usage[3]!.stderr).toContain(`domain fw1 has no SR-IOV NIC on VF ${vf0(5)} (it has: interface ${mac})`);
    expect((await cli(['set', 'fw1', '--vf', vf0(3), '--vlan', '403', '--trust', 'on', '--max-tx-rate', '100'])).exitCode).toBe(0);
    expect(metadataEntries(await inactiveXml('fw1'))).toEqual(metadataEntries(before));
  }, 60_000);

  test('set --vlan none takes the VLAN away in the definition: no <vlan> in the XML, none in the metadata; a VLAN given again comes back', async () => {
    const mac = vfNics(await inactiveXml('fw1'))[0]!.mac!;
    const r = await cli(['set', 'fw1', '--mac', mac, '--vlan', 'none', '--config']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '', stdout: `domain fw1: interface ${mac} in the definition: VLAN 403 -> none` });
    const xml = await inactiveXml('fw1');
    expect(vfNics(xml)[0]!.text).not.toContain('<vlan>');
    expect(metadataEntries(xml)[0]).not.toContain('vlan=');
    expect((await cli(['set', 'fw1', '--mac', mac, '--vlan', 'none'])).stdout).toBe(`domain fw1: interface ${mac} in the definition: it had these settings already`);
    expect(await cli(['set', 'fw1', '--mac', mac, '--vlan', '403'])).toMatchObject({ exitCode: 0, stdout: `domain fw1: interface ${mac} in the definition: VLAN none -> 403` });
    expect(vfNics(await inactiveXml('fw1'))[0]!.text).toMatch(/<vlan>\s*<tag id='403'\/>\s*<\/vlan>/);
  });

  test('attach --network sriov: network style on libvirt 9.0, no VF taken', async () => {
    const r = await cli(['attach', 'fw2', '--network', 'sriov', '--mac', '52:54:00:aa:00:20', '--vlan', '20', '--trust', 'on']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain("domain fw2: added <interface type='network'> on network sriov, MAC 52:54:00:aa:00:20, VLAN 20");
    const xml = await inactiveXml('fw2');
    expect(xml).toMatch(/<interface type='network'>\s*<mac address='52:54:00:aa:00:20'\/>\s*<source network='sriov'\/>\s*<vlan>\s*<tag id='20'\/>/);
    expect(vfNics(xml)).toEqual([]);
    expect(metadataEntries(xml)).toEqual(['<sriov:vf interface-mac="52:54:00:aa:00:20" trust="on"/>']);
  });

  test('attach --network sriov --to interface takes a free VF of the network\'s PF', async () => {
    const r = await cli(['attach', 'fw2', '--network', 'sriov', '--to', 'interface']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain(`on VF ${vf0(4)} (eth0)`);
    expect(vfNics(await inactiveXml('fw2')).map((n) => n.vf)).toEqual([vf0(4)]);
  });

  test.each([
    [['--vlan', '5000'], 'VLAN 5000 is out of range (1-4094)'],
    [['--vlan', '403:9'], 'VLAN QoS 9 is out of range (0-7)'],
    [['--trust', 'maybe'], '--trust'],
    [['--mac', '01:00:5e:00:00:01'], 'multicast'],
  ])('attach %j is refused before anything changes', async (bad, message) => {
    const before = await inactiveXml('fw2');
    const r = await cli(['attach', 'fw2', '--pf', 'eth0', ...bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
    expect(await inactiveXml('fw2')).toBe(before);
  });

  test('an unknown domain is an error that says so', async () => {
    const r = await cli(['attach', 'nosuch', '--pf', 'eth0']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`domain nosuch is not defined on ${URI}`);
    expect((await daemon().virsh('dominfo', 'nosuch')).exitCode).not.toBe(0);
  });

  test('detach --mac removes the network-style NIC and its settings', async () => {
    const r = await cli(['detach', 'fw2', '--mac', '52:54:00:AA:00:20']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    const xml = await inactiveXml('fw2');
    expect(xml).not.toContain('52:54:00:aa:00:20');
    expect(xml).not.toContain("<interface type='network'>");
    expect(vfNics(xml).map((n) => n.vf)).toEqual([vf0(4)]);
    expect(metadataEntries(xml)).toEqual([]);
  });

  test('detach --vf removes the VF NIC and its settings, and frees the VF for the next attach', async () => {
    const r = await cli(['detach', 'fw1', '--vf', vf0(3)]);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    const xml = await inactiveXml('fw1');
    expect(vfNics(xml)).toEqual([]);
    expect(metadataEntries(xml)).toEqual([]);
    const again = await cli(['attach', 'fw1', '--pf', 'eth0']);
    expect(again.stdout).toContain(`on VF ${vf0(3)} (eth0)`);
  });

  test('attach and detach of one domain from several processes at once: no change is lost', async () => {
    await defineDomain('busy');
    const attaches = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      cli(['attach', 'busy', '--network', 'sriov', '--mac', `52:54:00:bb:00:0${i}`])));
    expect(attaches.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0, 0]);
    const macs = () => inactiveXml('busy').then((x) => [...x.matchAll(/<mac address='([0-9a-f:]{17})'/g)].map((m) => m[1]).sort());
    expect(await macs()).toEqual(Array.from({ length: 6 }, (_, i) => `52:54:00:bb:00:0${i}`));
    const mixed = await Promise.all([
      ...[0, 1, 2].map((i) => cli(['detach', 'busy', '--mac', `52:54:00:bb:00:0${i}`])),
      ...[6, 7, 8].map((i) => cli(['attach', 'busy', '--network', 'sriov', '--mac', `52:54:00:bb:00:0${i}`])),
    ]);
    expect(mixed.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await macs()).toEqual([3, 4, 5, 6, 7, 8].map((i) => `52:54:00:bb:00:0${i}`));
    expect(metadataEntries(await inactiveXml('busy'))).toEqual([]);
    await daemon().virshOk('undefine', 'busy');
  }, 60_000);

  test('detach of a NIC the domain does not have says what it has, and changes nothing', async () => {
    const before = await inactiveXml('fw2');
    const r = await cli(['detach', 'fw2', '--vf', vf0(5)]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`domain fw2 has no SR-IOV NIC on VF ${vf0(5)}`);
    expect(await inactiveXml('fw2')).toBe(before);
  }, 30_000);
});

describe('vfs, status, doctor', () => {
  beforeAll(async () => {
    // a running guest (TCG, no VF: this kernel has no VFIO) given a VF for its next start
    await defineDomain('runner');
    await daemon().virshOk('start', 'runner');
    const r = await cli(['attach', 'runner', '--pf', 'eth0', '--config']);
    if (r.exitCode !== 0) throw new Error(`attach runner: ${r.stderr}`);
  }, 30_000);

  // eth0 now: VF 0 web1, 1 web2, 2 web3, 3 fw1, 4 fw2, 5 runner (running)
  const holders = ['web1', 'web2', 'web3', 'fw1', 'fw2', 'runner'];

  test('attach and detach speak virsh: --config changes the definition of the running guest, for its next start, and leaves the guest as it runs', async () => {
    const defined = await inactiveXml('runner');
    const running = await daemon().virshOk('dumpxml', 'runner');
    const r = await cli(['attach', 'runner', '--network', 'sriov', '--mac', '52:54:00:cc:00:01', '--config']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain('it is there from the next start (runner is running: shut it down and start it again; a reboot keeps the running definition)');
    expect(await inactiveXml('runner')).toContain('52:54:00:cc:00:01');
    expect(await daemon().virshOk('dumpxml', 'runner')).toBe(running);
    const live = await cli(['detach', 'runner', '--mac', '52:54:00:cc:00:01', '--live']);
    expect(live.exitCode).toBe(2);
    expect(live.stderr).toContain('domain runner has no SR-IOV NIC with MAC 52:54:00:cc:00:01 in the running guest');
    const detached = await cli(['detach', 'runner', '--mac', '52:54:00:cc:00:01', '--config']);
    expect(detached).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await inactiveXml('runner')).toBe(defined);
  }, 60_000);

  test('attach to the running guest (--live, and the default --current): every setting goes on the VF before libvirt is asked; libvirt refuses (this kernel has no VFIO), the VF is put back exactly as it was, nothing is claimed or defined', async () => {
    const defined = await inactiveXml('runner');
    const running = await daemon().virshOk('dumpxml', 'runner');
    host.setVf('eth0', 5, { mac: '02:11:22:33:44:55', vlan: 7, trust: false, spoofchk: true });
    const before = host.load().pfs.eth0!.vfs;
    // runner's own VF (5) is taken by its definition: free one for the live attach
    expect((await cli(['detach', 'web2', '--vf', vf0(1), '--config'])).exitCode).toBe(0);
    host.setVf('eth0', 1, { mac: '02:11:22:33:44:01', vlan: 9 });
    const before1 = host.load().pfs.eth0!.vfs[1];
    for (const flags of [['--live'], [], ['--current'], ['--persistent']]) {
      const log = logLines('admin').length;
      const r = await cli(['attach', 'runner', '--pf', 'eth0', '--mac', '52:54:00:cc:00:02', '--vlan', '403', '--trust', 'on', '--spoofchk', 'off', '--max-tx-rate', '100', ...flags]);
      expect([flags, r.exitCode]).toEqual([flags, 1]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain("libvirt could not attach a device to the running guest domain runner (a problem of this host, not of the XML): unsupported configuration: host doesn't support passthrough of host PCI devices");
      expect(r.stderr).toContain(`eth0 vf 1 (${vf0(1)}) was put back as it was`);
      expect(r.stderr).toContain('fix: this host can\'t give PCI devices (VFs) to guests: turn on the IOMMU');
      expect(host.load().pfs.eth0!.vfs[1]).toEqual(before1);
      // the log: each setting went on, then came off again after libvirt's refusal
      const entry = logLines('admin').slice(log).find((e) => e.hook === 'cli')!;
      expect(entry).toMatchObject({ op: 'attach', object: 'runner', result: 'failed', vfs: [`eth0 vf 1 (${vf0(1)})`] });
      expect(entry.changes.map((c) => `${c.setting} ${c.from}->${c.to}`).slice(0, 5)).toEqual([
        'mac 02:11:22:33:44:01->52:54:00:cc:00:02', 'vlan 9->403', 'spoofchk on->off', 'trust off->on', 'minTxRate/maxTxRate 0/0->-/100',
      ]);
      expect(entry.changes.map((c) => `${c.setting} ->${c.to}`).slice(5)).toEqual([
        'mac ->02:11:22:33:44:01', 'vlan ->9', 'spoofchk ->on', 'trust ->off', 'minTxRate/maxTxRate ->0/0',
      ]);
    }
    expect(host.load().pfs.eth0!.vfs).toEqual([...before.slice(0, 1), before1, ...before.slice(2)]);
    expect(readdirSync(join(work, 'admin', 'state', 'vfs')).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(await inactiveXml('runner')).toBe(defined);
    expect(await daemon().virshOk('dumpxml', 'runner')).toBe(running);
    expect((await cli(['attach', 'web2', '--pf', 'eth0', '--config'])).stdout).toContain(`on VF ${vf0(1)} (eth0)`);
  }, 120_000);

  test('--live on a domain that is not running is refused before anything changes', async () => {
    const r = await cli(['attach', 'web1', '--pf', 'eth0', '--live']);
    expect(r).toMatchObject({ exitCode: 2, stdout: '' });
    expect(r.stderr).toContain('--live: domain web1 is not running');
    const d = await cli(['detach', 'web1', '--vf', vf0(0), '--live']);
    expect(d).toMatchObject({ exitCode: 2, stdout: '' });
    expect(d.stderr).toContain('--live: domain web1 is not running');
    for (const bad of [['--live', '--current'], ['--live', '--persistent']]) {
      expect((await cli(['attach', 'runner', '--pf', 'eth0', ...bad])).stderr).toContain('mutually exclusive');
    }
  }, 60_000);

  test('define of a network-style device --to interface when eth0 has no free VF says so and defines nothing', async () => {
    const r = await cli(['define', xmlFile('late', networkGuest('late', 'sriov', '52:54:00:aa:00:04')), '--to', 'interface']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`no free VF on eth0: all 6 are taken: ${vf0(0)} (web1), ${vf0(1)} (web2), ${vf0(2)} (web3), ${vf0(3)} (fw1), ${vf0(4)} (fw2), ${vf0(5)} (runner)`);
    expect((await daemon().virsh('dominfo', 'late')).exitCode).not.toBe(0);
  });

  test('vfs eth0 lists each VF with the guest that holds it, running or only defined', async () => {
    const r = await cli(['vfs', 'eth0']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toBe([
      'eth0: 6 of 8 VFs; none recorded: they are gone after a reboot (keep them: virt-sriov vfs eth0 --count 6)',
      ...holders.map((d, i) => `  vf ${i}  ${vf0(i)}  ${d} (${d === 'runner' ? 'running' : 'defined'})`),
    ].join('\n'));
  });

  test('vfs eth0 --count 4 is refused, naming the guests that hold the VFs it would remove, and nothing changes', async () => {
    const r = await cli(['vfs', 'eth0', '--count', '4']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`eth0: changing 6 to 4 VFs would take away VF 4 (${vf0(4)}) held by fw2, VF 5 (${vf0(5)}) held by runner (running)`);
    expect(host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('6');
    expect(host.load().pfs.eth0!.vfs).toHaveLength(6);
  });

  test('vfs eth0 --count 8 is refused too: going through 0 would take the running guest\'s VF', async () => {
    const r = await cli(['vfs', 'eth0', '--count', '8']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`held by runner (running)`);
    expect(host.load().pfs.eth0!.vfs).toHaveLength(6);
  });

  test('vfs eth2 --count N: the fake kernel applies it, up from 0 and back to 0, and the config records it', async () => {
    const before = JSON.parse(readFileSync(adminConfig, 'utf8')) as Record<string, unknown>;
    const up = await cli(['vfs', 'eth2', '--count', '3']);
    expect(up).toMatchObject({ exitCode: 0, stdout: `eth2: 0 -> 3 VFs; recorded in ${adminConfig}: made again at boot`, stderr: '' });
    expect(host.load().pfs.eth2!.vfs).toHaveLength(3);
    expect(readdirSync(join(host.sysRoot, 'bus/pci/devices', ETH2)).filter((n) => n.startsWith('virtfn')).sort()).toEqual(['virtfn0', 'virtfn1', 'virtfn2']);
    // where the daemon hook reads it at boot, every other key as it was
    expect(JSON.parse(readFileSync(adminConfig, 'utf8'))).toEqual({ ...before, pfs: { eth2: { numVfs: 3 } } });
    expect((await cli(['vfs', 'eth2', '--count', '3'])).stdout).toBe(`eth2: already 3 VFs, as recorded in ${adminConfig}`);
    expect((await cli(['vfs', 'eth2'])).stdout).toBe('eth2: 3 of 4 VFs; 3 recorded (made at boot)\n  vf 0  0000:02:10.0  free\n  vf 1  0000:02:10.2  free\n  vf 2  0000:02:10.4  free');
    const over = await cli(['vfs', 'eth2', '--count', '5']);
    expect(over.exitCode).toBe(1);
    expect(over.stderr).toContain('eth2 offers at most 4 VFs, 5 were asked for');
    const down = await cli(['vfs', 'eth2', '--count', '0']);
    expect(down).toMatchObject({ exitCode: 0, stdout: `eth2: 3 -> 0 VFs; recorded in ${adminConfig}` });
    expect(JSON.parse(readFileSync(adminConfig, 'utf8'))).toEqual({ ...before, pfs: { eth2: { numVfs: 0 } } });
    expect(host.load().pfs.eth2!.vfs).toHaveLength(0);
    expect(kernel.events().map((e) => [e.pf, e.wrote, e.result])).toEqual([['eth2', '3', 'ok'], ['eth2', '0', 'ok']]);
  }, 60_000);

  test('status --json gives each VF its domain: who holds it, running or only defined; null when free', async () => {
    const r = await cli(['status', '--json']);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    const pfs = JSON.parse(r.stdout).pfs as { name: string; vfs: { pci: string; domain: { domain: string; running: boolean } | null }[] }[];
    expect(pfs.map((p) => p.name).sort()).toEqual(['eth0', 'eth2']);
    const eth0 = pfs.find((p) => p.name === 'eth0')!;
    expect(eth0.vfs.map((v) => [v.pci, v.domain && { domain: v.domain.domain, running: v.domain.running }]))
      .toEqual(holders.map((d, i) => [vf0(i), { domain: d, running: d === 'runner' }]));
    // one freed: null
    expect((await cli(['detach', 'web3', '--vf', vf0(2)])).exitCode).toBe(0);
    const after = JSON.parse((await cli(['status', '--json', '--pf', 'eth0'])).stdout).pfs[0].vfs as { domain: unknown }[];
    expect(after[2]!.domain).toBeNull();
    expect(after[5]!.domain).toMatchObject({ domain: 'runner', running: true });
  }, 30_000);

  test('doctor --json -c qemu:///system reaches the real daemon; domcapabilities-vfio reports this kernel\'s VFIO', async () => {
    const r = await cli(['doctor', '--json']);
    const checks = new Map((JSON.parse(r.stdout).checks as { id: string; status: string; summary: string; fix: string | null }[]).map((c) => [c.id, c]));
    expect(checks.get('libvirt-connection')).toMatchObject({ status: 'ok', summary: expect.stringMatching(/^connected read-only to qemu:\/\/\/system: libvirt 9\.0\.0, QEMU 7\.2\.\d+$/) });
    expect(checks.get('versions')).toMatchObject({ status: 'ok', summary: expect.stringContaining('styles network, interface, hostdev; VLANs in the XML') });
    // libvirt offers vfio only with /dev/vfio/vfio (the namespace shares /dev with the machine)
    if (existsSync('/dev/vfio/vfio')) {
      expect(checks.get('domcapabilities-vfio')).toMatchObject({ status: 'ok', summary: expect.stringContaining('pciBackend: vfio') });
    } else {
      expect(checks.get('domcapabilities-vfio')).toMatchObject({
        status: 'fail', summary: 'libvirt offers PCI assignment without the vfio backend (pciBackend: none)',
        fix: expect.stringContaining('turn the IOMMU on and load vfio-pci'),
      });
      expect(r.exitCode).toBe(1);
    }
    // the private daemon has no hooks
    expect(checks.get('hooks-installed')).toMatchObject({ status: 'fail' });
    expect(r.exitCode).toBe([...checks.values()].some((c) => c.status === 'fail') ? 1 : 0);
  });
});

describe(`${POOL_SIZE} concurrent attach processes on a ${POOL_SIZE}-VF pool`, () => {
  const DOMAINS = 16;
  const NICS = POOL_SIZE / DOMAINS;
  const names = Array.from({ length: DOMAINS }, (_, i) => `pool${String(i + 1).padStart(2, '0')}`);

  beforeAll(async () => {
    for (const name of names) await defineDomain(name);
  }, 30_000);

  test(`${POOL_SIZE} attaches started at once (${DOMAINS} domains x ${NICS} NICs) get ${POOL_SIZE} distinct VFs; a ${POOL_SIZE + 1}th gets the exhausted message and changes nothing`, async () => {
    const t0 = performance.now();
    const results = await Promise.all(names.flatMap((name) => Array.from({ length: NICS }, () =>
      cli(['attach', name, '--pf', 'eth1'], { config: poolConfig, timeoutMs: 120_000 }).then((r) => ({ name, ...r })))));
    timings[`${POOL_SIZE} attaches: total`] = Math.round(performance.now() - t0);
    timings[`${POOL_SIZE} attaches: slowest`] = Math.max(...results.map((r) => r.ms));
    timings[`${POOL_SIZE} attaches: fastest`] = Math.min(...results.map((r) => r.ms));

    expect(results.filter((r) => r.exitCode !== 0).map((r) => `${r.name}: ${r.exitCode} ${r.stderr}`)).toEqual([]);
    const picked = results.map((r) => /on VF (\S+) \(eth1\)/.exec(r.stdout)?.[1]);
    expect(new Set(picked).size).toBe(POOL_SIZE);

    const xmls = new Map(await Promise.all(names.map(async (n) => [n, await inactiveXml(n)] as const)));
    const nics = [...xmls].flatMap(([name, xml]) => vfNics(xml).map((n) => ({ name, ...n })));
    for (const name of names) expect([name, nics.filter((n) => n.name === name).length]).toEqual([name, NICS]);
    const vfs = nics.map((n) => n.vf!);
    expect(new Set(vfs).size).toBe(POOL_SIZE);
    expect([...vfs].sort()).toEqual(Array.from({ length: POOL_SIZE }, (_, i) => pool(i)).sort());
    // each process's report matches what its domain got
    for (const r of results) expect(vfNics(xmls.get(r.name)!).map((n) => n.vf)).toContain(/on VF (\S+) \(eth1\)/.exec(r.stdout)![1]);
    const macs = nics.map((n) => n.mac!);
    expect(new Set(macs).size).toBe(POOL_SIZE);
    expect(macs.every(isLocallyAdministeredUnicast)).toBe(true);

    const last = await cli(['attach', names[0]!, '--pf', 'eth1'], { config: poolConfig });
    expect(last.exitCode).toBe(1);
    expect(last.stderr).toContain(`no free VF on eth1: all ${POOL_SIZE} are taken: ${pool(0)} (`);
    expect(last.stdout).toBe('');
    for (const [name, xml] of xmls) expect([name, await inactiveXml(name)]).toEqual([name, xml]);
  }, 180_000);
});
