/**
 * The fleet view's pure core, over node-device XML from libvirt's own tests
 * (test/fixtures/libvirt/nodedev/SOURCES.md), made into one host: the PF file as it is; the VF
 * file renamed and readdressed for each of the PF's four VFs, its phys_function pointed at the
 * PF, a driver added; the net file re-parented onto the PF and onto two VFs, with a link state.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { freeVfsOn, hostView, type HostFacts } from '../../../src/fleet/host-view.js';
import { parseNodeDeviceXml } from '../../../src/libvirt/node-device-xml.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/libvirt/nodedev/${name}`, import.meta.url), 'utf8');
const PF_XML = fixture('pci_0000_02_10_7_sriov_vfs.xml');
const VF_XML = fixture('pci_0000_02_10_7_sriov.xml');
const NET_XML = fixture('net_00_13_02_b9_f9_d3.xml');

function vf(fn: number, driver: string) {
  return parseNodeDeviceXml(VF_XML
    .replace('<name>pci_0000_02_10_7</name>', `<name>pci_0000_02_00_${fn}</name>\n  <driver><name>${driver}</name></driver>`)
    .replace('<slot>16</slot>', '<slot>0</slot>').replace('<function>7</function>', `<function>${fn}</function>`)
    .replace("slot='0x00' function='0x1'", "slot='0x10' function='0x7'"));
}

function net(parent: string, iface: string, state: 'up' | 'down') {
  return parseNodeDeviceXml(NET_XML.replace('<parent>pci_8086_4227</parent>', `<parent>${parent}</parent>`)
    .replace('<interface>eth0</interface>', `<interface>${iface}</interface>`)
    .replace("<capability type='80211'/>", `<link state='${state}'/>\n    <capability type='80203'/>`)
    .replace(/net_00_13_02_b9_f9_d3/, `net_${iface}`));
}

const hostdevDomain = (name: string, fn: number) => `<domain type='kvm'><name>${name}</name><devices>
  <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x02' slot='0x00' function='0x${fn}'/></source><alias name='ua-sriov'/></hostdev>
</devices></domain>`;

const facts: HostFacts = {
  uri: 'qemu+ssh://root@kvm2/system',
  hostname: 'kvm2.example.org',
  devices: [
    parseNodeDeviceXml(PF_XML.replace('<parent>', '<driver><name>igb</name></driver>\n  <parent>')),
    net('pci_0000_02_10_7', 'ens1f0', 'up'),
    vf(2, 'igbvf'), net('pci_0000_02_00_2', 'ens1f0v0', 'up'), // the host uses it
    vf(3, 'vfio-pci'), // bound for passthrough, no guest names it: in use all the same
    vf(4, 'vfio-pci'), // web1's
    vf(5, 'igbvf'), net('pci_0000_02_00_5', 'ens1f0v3', 'down'), // free
  ],
  domains: [{ name: 'web1', running: true, xml: [hostdevDomain('web1', 4)] }, { name: 'idle', running: false, xml: ['<domain><name>idle</name><devices/></domain>'] }],
};
const mapping = { 'fabric-a': { kvm2: ['ens1f0'] }, 'fabric-b': { kvm1: ['ens1f0'] } };

describe('a host\'s PFs, VFs and holders from its node devices and domains', () => {
  test('the PF with its netdev, driver, link and physical network; each VF with who uses it, by the one rule', () => {
    const view = hostView(facts, mapping);
    expect(view).toMatchObject({ uri: facts.uri, hostname: 'kvm2.example.org' });
    expect(view.pfs).toHaveLength(1);
    const [pf] = view.pfs;
    expect(pf).toMatchObject({ pci: '0000:02:10.7', netdev: 'ens1f0', driver: 'igb', totalVfs: null, linkUp: true, physnets: ['fabric-a'] });
    expect(pf!.vfs.map((v) => [v.index, v.pci, v.driver, v.netdev, v.use && v.use.by])).toEqual([
      [0, '0000:02:00.2', 'igbvf', 'ens1f0v0', 'host'],
      [1, '0000:02:00.3', 'vfio-pci', null, 'vfio-pci'],
      [2, '0000:02:00.4', 'vfio-pci', null, 'guest'],
      [3, '0000:02:00.5', 'igbvf', 'ens1f0v3', null],
    ]);
    expect(pf!.vfs[2]!.use).toEqual({ by: 'guest', holder: { domain: 'web1', running: true, mac: null, alias: 'ua-sriov' } });
  });

  test('free VFs on a physical network: only the mapped PFs of that host', () => {
    const view = hostView(facts, mapping);
    expect(freeVfsOn(view, mapping, 'fabric-a')).toEqual([{ pf: 'ens1f0', vfs: ['0000:02:00.5'] }]);
    expect(freeVfsOn(view, mapping, 'fabric-b')).toEqual([]); // kvm1's mapping says nothing of kvm2
    expect(freeVfsOn(view, { 'fabric-a': { kvm2: ['ens9'] } }, 'fabric-a')).toEqual([]);
  });

  test('a PF libvirt lists with no VFs enabled, and a VF whose node device is gone: shown, not guessed', () => {
    const noVfs = parseNodeDeviceXml(PF_XML.replace(/<capability type='virt_functions'>[\s\S]*?<\/capability>/, "<capability type='virt_functions' maxCount='7'/>"));
    const view = hostView({ ...facts, devices: [noVfs], domains: [] });
    expect(view.pfs).toEqual([{ pci: '0000:02:10.7', netdev: null, driver: null, totalVfs: 7, linkUp: null, physnets: [], vfs: [] }]);
    const gone = hostView({ ...facts, devices: [parseNodeDeviceXml(PF_XML)], domains: [] });
    expect(gone.pfs[0]!.vfs[0]).toEqual({ index: 0, pci: '0000:02:00.2', driver: null, netdev: null, listed: false, use: null });
    expect(freeVfsOn(gone, { 'fabric-a': { kvm2: ['ens1f0'] } }, 'fabric-a')).toEqual([]); // and no netdev: no PF by that name either
  });

  test('a host with no SR-IOV PF has none, whatever else its node devices are', () => {
    expect(hostView({ ...facts, devices: [parseNodeDeviceXml(VF_XML), net('pci_0000_00_19_0', 'eno1', 'up')] }).pfs).toEqual([]);
  });
});
