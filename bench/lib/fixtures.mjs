/** Domain XML, fake hosts and the test-driver host the rows run against. */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { PROJECT } from './build.mjs';

export const SRIOV_NS = 'http://virt-sriov.org/xmlns/domain/1.0';
const CAPTURE = join(PROJECT, 'test/fixtures/captures/libvirt9.0-qemu7.2-igb/hook-stdin/qemu.l2-hostdev.start.begin.xml');

export const pciAttrs = (pci) => {
  const [d, b, sf] = pci.split(':');
  const [s, f] = sf.split('.');
  return `domain='0x${d}' bus='0x${b}' slot='0x${s}' function='0x${f}'`;
};
const hex2 = (n) => n.toString(16).padStart(2, '0');
export const macOf = (n) => `52:54:00:be:${hex2(n >> 8)}:${hex2(n & 0xff)}`;

/** The domain XML libvirt hands the qemu hook at `start` (a real capture), with `vfs` as <hostdev>s and their settings in metadata. */
export function hookDomainXml(name, vfs) {
  let xml = readFileSync(CAPTURE, 'utf8').replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`);
  const hostdevs = vfs.map((pci, i) => `    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio'/>
      <source>
        <address ${pciAttrs(pci)}/>
      </source>
      <alias name='hostdev${i}'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x${hex2(i + 3)}' function='0x0'/>
    </hostdev>
`).join('');
  xml = xml.replace(/    <hostdev [\s\S]*?<\/hostdev>\n/, hostdevs);
  if (vfs.length) {
    const md = `  <metadata>\n    <sriov:vfs xmlns:sriov='${SRIOV_NS}'>\n${vfs.map((pci, i) =>
      `      <sriov:vf pci='${pci}' mac='${macOf(i + 1)}' vlan='${100 + i}' trust='on' spoofchk='off'/>\n`).join('')}    </sriov:vfs>\n  </metadata>\n`;
    xml = xml.replace('  <memory ', `${md}  <memory `);
  }
  return xml;
}

/** A domain to convert: `n` VFs as plain <hostdev>s with MAC, VLAN and trust in metadata (what `define` starts from). */
export function convertDomainXml(name, vfs) {
  const md = vfs.map((pci, i) => `      <sriov:vf pci='${pci}' mac='${macOf(i + 1)}' vlan='${100 + i}' trust='on'/>\n`).join('');
  const hostdevs = vfs.map((pci) => `    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source><address ${pciAttrs(pci)}/></source>\n    </hostdev>\n`).join('');
  return `<domain type='kvm'>
  <name>${name}</name>
  <metadata>
    <sriov:vfs xmlns:sriov='${SRIOV_NS}'>
${md}    </sriov:vfs>
  </metadata>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <video><model type='none'/></video>
${hostdevs}    <memballoon model='none'/>
  </devices>
</domain>
`;
}

/**
 * A fake host with many VFs laid out as a big NIC lays them out (igb's layout, test/support's,
 * runs out of PCI slots past 64 VFs): PF p at 0000:0p:00.0, its VF i at 0000:(80+p):(i/8).(i%8).
 * FakeHost builds the PFs and answers `ip`; the VFs' sysfs entries are made here, as
 * FakeHost.setNumVfs makes them.
 */
export function bigHost(FakeHost, FRESH_VF, root, pfCount, vfsPerPf) {
  const pfs = Array.from({ length: pfCount }, (_, k) => ({ name: `eth${k + 1}`, pci: `0000:0${k + 1}:00.0`, totalVfs: vfsPerPf }));
  const host = FakeHost.create(pfs, root);
  const sys = host.sysRoot;
  const link = (at, target) => {
    mkdirSync(dirname(at), { recursive: true });
    rmSync(at, { force: true });
    symlinkSync(relative(dirname(at), target), at);
  };
  const state = host.load();
  const vfAddress = (k, i) => `0000:${hex2(0x81 + k)}:${hex2(i >> 3)}.${i & 7}`;
  pfs.forEach((pf, k) => {
    const dev = join(sys, 'bus/pci/devices', pf.pci);
    for (let i = 0; i < vfsPerPf; i++) {
      const vdev = join(sys, 'bus/pci/devices', vfAddress(k, i));
      const netdev = `${pf.name}v${i}`;
      link(join(vdev, 'physfn'), dev);
      link(join(dev, `virtfn${i}`), vdev);
      link(join(vdev, 'driver'), join(sys, 'bus/pci/drivers/igbvf'));
      link(join(vdev, 'iommu_group'), join(sys, 'kernel/iommu_groups', String(100 + k * vfsPerPf + i)));
      mkdirSync(join(vdev, 'net', netdev), { recursive: true });
      link(join(vdev, 'net', netdev, 'device'), vdev);
      link(join(sys, 'class/net', netdev), join(vdev, 'net', netdev));
    }
    writeFileSync(join(dev, 'sriov_numvfs'), `${vfsPerPf}\n`);
    state.pfs[pf.name].vfs = Array.from({ length: vfsPerPf }, () => ({ ...FRESH_VF }));
  });
  host.save(state);
  return { host, vfAddress };
}

/**
 * A host for libvirt's test driver (test:///FILE) with `count` defined domains; every
 * `nameEvery`th names a VF (from `vfs`), as a <hostdev> or an <interface type='hostdev'>.
 */
export function testDriverNode(count, vfs, nameEvery = 4) {
  let v = 0;
  const domains = Array.from({ length: count }, (_, i) => {
    const name = `guest${String(i + 1).padStart(3, '0')}`;
    let dev = '';
    if (i % nameEvery === 0 && v < vfs.length) {
      const pci = vfs[v++];
      dev = v % 2
        ? `      <hostdev mode='subsystem' type='pci' managed='yes'><source><address ${pciAttrs(pci)}/></source></hostdev>\n`
        : `      <interface type='hostdev' managed='yes'><mac address='${macOf(v)}'/><source><address type='pci' ${pciAttrs(pci)}/></source></interface>\n`;
    }
    return `  <domain type='test'>
    <name>${name}</name>
    <memory unit='MiB'>512</memory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <interface type='network'><mac address='52:54:00:aa:${hex2(i >> 8)}:${hex2(i & 0xff)}'/><source network='default'/></interface>
${dev}    </devices>
  </domain>
`;
  });
  return `<?xml version="1.0"?>\n<node>\n  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads></cpu>\n  <memory>67108864</memory>\n${domains.join('')}</node>\n`;
}

/** The fast fake ip's server for a fake host; resolves once it listens. */
export async function startIpServer(node, serverBundle, socket, root) {
  const child = spawn(node, [serverBundle, socket, root], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`fake ip server exited ${code}`)));
  });
  return { stop: () => child.stdin.end(), pid: child.pid };
}
