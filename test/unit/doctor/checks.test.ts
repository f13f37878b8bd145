import { describe, expect, test } from '@jest/globals';
import { checkConfig } from '../../../src/doctor/checks/config.js';
import { checkDaemonRestarted, checkHooksInstalled } from '../../../src/doctor/checks/hooks.js';
import { checkIommuCmdline, checkIommuGroups, kernelParams } from '../../../src/doctor/checks/iommu.js';
import { checkKernelConfig, checkKernelVersion, kernelVersion, parseKernelConfig } from '../../../src/doctor/checks/kernel.js';
import { checkDomainCapabilities, checkLibvirtConnection, checkVersions, hostdevSupport } from '../../../src/doctor/checks/libvirt.js';
import { checkDriverQuirks, checkPfCapabilities, checkSriovNics } from '../../../src/doctor/checks/nics.js';
import { checkVfioPci } from '../../../src/doctor/checks/vfio.js';
import { diagnose, doctorJson, exitCodeOf, renderText } from '../../../src/doctor/doctor.js';
import type { Check, DoctorFacts } from '../../../src/doctor/facts.js';
import { isLocalUri } from '../../../src/libvirt/uri.js';
import { version } from '../../../src/versions/version.js';
import { readFixture } from '../../support/fake-host.js';
import { healthyFacts, hook, igbPf, kernelConfigWith, T0 } from './facts-fixture.js';

const connectedTo = (libvirt: string, qemu: string | null, patch: object = {}): DoctorFacts['libvirt'] => ({
  connected: true, uri: 'qemu:///system', local: true, libvirt: version(libvirt), qemu: qemu === null ? null : version(qemu),
  domainCapabilities: { xml: readFixture('doctor', 'domcaps-qemu7.2-vfio.xml') }, ...patch,
});
const kconfig = (f: DoctorFacts, option: string) => checkKernelConfig(f).find((c) => c.id === `kernel-config:${option}`)!;

describe('parsers', () => {
  test('kernel parameters: key=value and bare words, up to the lone -- that starts init\'s arguments', () => {
    const p = kernelParams('BOOT_IMAGE=/vmlinuz ro intel_iommu=on,sm_on iommu=pt quiet -- iommu=off');
    expect([...p]).toEqual([['BOOT_IMAGE', '/vmlinuz'], ['ro', ''], ['intel_iommu', 'on,sm_on'], ['iommu', 'pt'], ['quiet', '']]);
  });

  test('kernel .config: y, m, "is not set" and string values', () => {
    const c = parseKernelConfig('CONFIG_PCI_IOV=y\nCONFIG_VFIO=m\n# CONFIG_PCI_STUB is not set\nCONFIG_LOCALVERSION="-amd64"\nCONFIG_NR_CPUS=8192\n', 'x');
    expect(c.options).toEqual({ CONFIG_PCI_IOV: 'y', CONFIG_VFIO: 'm', CONFIG_PCI_STUB: 'n', CONFIG_LOCALVERSION: '-amd64', CONFIG_NR_CPUS: '8192' });
  });

  test('kernel release to version', () => {
    expect(kernelVersion('6.1.0-56-amd64')).toEqual({ major: 6, minor: 1, micro: 0 });
    expect(kernelVersion('3.13.6')).toEqual({ major: 3, minor: 13, micro: 6 });
    expect(kernelVersion('6.18-rc1')).toEqual({ major: 6, minor: 18, micro: 0 });
    expect(kernelVersion('weird')).toBeNull();
  });

  test('local and remote libvirt URIs', () => {
    for (const uri of ['qemu:///system', 'test:///default', 'qemu+unix:///system', 'qemu://localhost/system']) expect(isLocalUri(uri)).toBe(true);
    for (const uri of ['qemu+ssh://root@kvm2/system', 'qemu+tls://kvm2.example.org:16514/system']) expect(isLocalUri(uri)).toBe(false);
  });

  test('domcapabilities: hostdev support and the PCI backends', () => {
    expect(hostdevSupport(readFixture('doctor', 'domcaps-qemu7.2-vfio.xml'))).toEqual({ supported: true, backends: ['default', 'vfio'] });
    expect(hostdevSupport(readFixture('doctor', 'domcaps-qemu7.2-no-vfio.xml'))).toEqual({ supported: true, backends: [] });
    expect(hostdevSupport("<domainCapabilities><devices><hostdev supported='no'/></devices></domainCapabilities>")).toEqual({ supported: false, backends: [] });
  });
});

describe('IOMMU', () => {
  test('no groups on AMD: the BIOS switch, no command line needed', () => {
    const c = checkIommuGroups(healthyFacts({ cpuVendor: 'amd', iommuGroups: 0 }));
    expect(c).toMatchObject({ status: 'fail', fix: 'enable AMD-Vi (IOMMU) in the BIOS, then reboot: the kernel turns it on by default' });
  });

  test('no groups with a kernel lacking the IOMMU driver: the kernel is the fix, not the BIOS', () => {
    const c = checkIommuGroups(healthyFacts({ iommuGroups: 0, kernelConfig: kernelConfigWith({ CONFIG_INTEL_IOMMU: 'n' }) }));
    expect(c.fix).toMatch(/^use a kernel built with CONFIG_INTEL_IOMMU=y \(this one has it off\)/);
  });

  test('Intel without intel_iommu=on: a warning when VT-d is off, fine when the kernel turned it on anyway', () => {
    const cmdline = 'BOOT_IMAGE=/vmlinuz ro quiet';
    expect(checkIommuCmdline(healthyFacts({ cmdline, iommuGroups: 0 }))).toMatchObject({ status: 'warn', fix: expect.stringMatching(/^add intel_iommu=on \(and iommu=pt\)/) });
    const c = checkIommuCmdline(healthyFacts({ cmdline }));
    expect(c.status).toBe('ok');
    expect(c.summary).toContain("iommu=pt not set (optional");
  });

  test('iommu=off and amd_iommu=off fail, naming what to remove', () => {
    const c = checkIommuCmdline(healthyFacts({ cpuVendor: 'amd', cmdline: 'ro amd_iommu=off iommu=off' }));
    expect(c).toMatchObject({ status: 'fail', summary: 'the kernel command line turns the IOMMU off (amd_iommu=off iommu=off)' });
  });
});

describe('kernel', () => {
  test('3.8 to 3.12 works, with the seed\'s warning about VF VLAN bugs', () => {
    expect(checkKernelVersion(healthyFacts({ kernelRelease: '3.10.0-1160.el7.x86_64' }))).toMatchObject({ status: 'warn', fix: 'boot a kernel >= 3.13' });
    expect(checkKernelVersion(healthyFacts({ kernelRelease: '3.13.6' })).status).toBe('ok');
    expect(checkKernelVersion(healthyFacts({ kernelRelease: '3.7.10' })).status).toBe('fail');
  });

  test('bool options are asked for as =y, tristate ones as =y or =m', () => {
    const f = healthyFacts({ kernelConfig: kernelConfigWith({ CONFIG_PCI_IOV: 'n', CONFIG_VFIO: 'n' }) });
    expect(kconfig(f, 'CONFIG_PCI_IOV').fix).toBe("use a kernel built with CONFIG_PCI_IOV=y (Debian's linux-image-amd64 has it)");
    expect(kconfig(f, 'CONFIG_VFIO').fix).toBe("use a kernel built with CONFIG_VFIO=y or =m (Debian's linux-image-amd64 has it)");
  });

  test('an option missing from the file altogether counts as not set', () => {
    const base = healthyFacts().kernelConfig!;
    const { CONFIG_VFIO_PCI: _, ...rest } = base.options;
    expect(kconfig(healthyFacts({ kernelConfig: { ...base, options: rest } }), 'CONFIG_VFIO_PCI')).toMatchObject({
      status: 'fail', summary: expect.stringMatching(/^CONFIG_VFIO_PCI not set in \/boot\/config-6\.1\.0-56-amd64: needed for vfio-pci/),
    });
  });

  test('iommufd\'s VFIO container stands in for CONFIG_VFIO_IOMMU_TYPE1', () => {
    const f = healthyFacts({ kernelConfig: kernelConfigWith({ CONFIG_VFIO_IOMMU_TYPE1: 'n', CONFIG_IOMMUFD_VFIO_CONTAINER: 'y' }) });
    expect(kconfig(f, 'CONFIG_VFIO_IOMMU_TYPE1')).toMatchObject({ status: 'ok', summary: expect.stringContaining('CONFIG_IOMMUFD_VFIO_CONTAINER=y') });
  });

  test('CONFIG_PCI_STUB: not needed once libvirt dropped legacy assignment; a warning before or when unknown', () => {
    const noStub = kernelConfigWith({ CONFIG_PCI_STUB: 'n' });
    expect(kconfig(healthyFacts({ kernelConfig: noStub }), 'CONFIG_PCI_STUB').status).toBe('ok');
    expect(kconfig(healthyFacts({ kernelConfig: noStub, libvirt: connectedTo('1.0.0', '1.3.0') }), 'CONFIG_PCI_STUB').status).toBe('warn');
    const unknown = healthyFacts({ kernelConfig: noStub, libvirt: { connected: false, uri: 'qemu:///system', local: true, error: 'x', fix: null }, binaryVersions: { error: 'none' } });
    expect(kconfig(unknown, 'CONFIG_PCI_STUB').status).toBe('warn');
  });

  test('a driver\'s own SR-IOV option is checked only where a NIC of that driver is', () => {
    const ids = (f: DoctorFacts) => checkKernelConfig(f).map((c) => c.id).filter((id) => !/PCI_IOV|VFIO|PCI_STUB/.test(id));
    expect(ids(healthyFacts())).toEqual([]);
    const nics = [igbPf(), igbPf({ name: 'eth2', driver: 'bnxt_en' }), igbPf({ name: 'eth3', driver: 'mlx5_core', sriov: false })];
    expect(ids(healthyFacts({ nics }))).toEqual(['kernel-config:CONFIG_BNXT_SRIOV', 'kernel-config:CONFIG_MLX5_ESWITCH']);
    expect(checkKernelConfig(healthyFacts({ nics })).find((c) => c.id === 'kernel-config:CONFIG_BNXT_SRIOV')).toMatchObject({ status: 'fail' });
  });
});

describe('vfio-pci', () => {
  test('configured as a module whose file is missing: reinstall the kernel\'s modules', () => {
    const f = healthyFacts({ vfioPci: { driverRegistered: false, moduleLoaded: false, builtin: false, loadable: false, modulesDirFound: false } });
    expect(checkVfioPci(f)).toMatchObject({
      status: 'fail',
      summary: 'vfio-pci is built as a module for kernel 6.1.0-56-amd64, but the module is not installed (no /lib/modules/6.1.0-56-amd64)',
      fix: 'reinstall the kernel\'s modules (apt-get install --reinstall linux-image-6.1.0-56-amd64), then modprobe vfio-pci',
    });
  });
});

describe('NICs', () => {
  test('no SR-IOV NIC on a kernel with CONFIG_PCI_IOV: the BIOS and the NIC\'s settings, naming the NICs seen', () => {
    const f = healthyFacts({ nics: [{ name: 'eno1', pci: '0000:00:19.0', driver: 'e1000e', sriov: false, totalVfs: 0, numVfs: 0, link: null }] });
    const c = checkSriovNics(f);
    expect(c.summary).toBe('no SR-IOV NIC: no network interface offers VFs; eno1 (e1000e, 0000:00:19.0) has no SR-IOV capability');
    expect(c.fix).toMatch(/^check that the NIC supports SR-IOV, and enable SR-IOV in the BIOS/);
  });

  test('the config asking for more VFs than the PF offers', () => {
    const f = healthyFacts({ config: { ...healthyFacts().config, pfs: { eth0: { numVfs: 8 } } } });
    expect(checkPfCapabilities(f)).toEqual([{
      id: 'sriov-nic:eth0', status: 'fail',
      summary: 'eth0 (igb, 0000:01:00.0) offers at most 7 VFs, but the config asks for 8',
      fix: 'set pfs.eth0.numVfs to 7 or less in /etc/virt-sriov/config.json',
    }]);
  });

  test('VFs made by hand that the config does not record: a warning with the command that records them', () => {
    const none = checkPfCapabilities(healthyFacts({ config: { ...healthyFacts().config, pfs: {} } }));
    expect(none).toEqual([{
      id: 'sriov-nic:eth0', status: 'warn',
      summary: 'eth0 (igb, 0000:01:00.0) has 2 VFs, but none are recorded in /etc/virt-sriov/config.json: after a reboot eth0 has 0',
      fix: 'virt-sriov vfs eth0 --count 2 (records the live count; the daemon hook makes them at boot)',
    }]);
    const fewer = checkPfCapabilities(healthyFacts({ nics: [igbPf({ numVfs: 5 })] }));
    expect(fewer[0]).toMatchObject({ status: 'warn', summary: expect.stringContaining('has 5 VFs, but only 2 are recorded') });
    // more recorded than live: the hooks make them (at boot, at the next guest or network start)
    expect(checkPfCapabilities(healthyFacts({ nics: [igbPf({ numVfs: 0 })] }))[0]!.status).toBe('ok');
  });

  test('the config naming a PF that is not there, or has no SR-IOV', () => {
    const nics = [igbPf(), { name: 'eno1', pci: '0000:00:19.0', driver: 'e1000e', sriov: false, totalVfs: 0, numVfs: 0, link: null }];
    const f = healthyFacts({ nics, config: { ...healthyFacts().config, pfs: { eth0: { numVfs: 2 }, eno1: { numVfs: 2 }, ens9: { numVfs: 4 } } } });
    const checks = checkPfCapabilities(f);
    expect(checks.map((c) => [c.id, c.status])).toEqual([['sriov-nic:eth0', 'ok'], ['sriov-nic:eno1', 'fail'], ['sriov-nic:ens9', 'fail']]);
    expect(checks[2]!.summary).toBe('the config names ens9 as a PF, but there is no such interface');
  });

  test('driver quirks from the driver table: what a network asks that the driver can\'t give, with the fix', () => {
    const networks = { lan: { linkState: 'enable' as const }, dmz: { linkState: 'auto' as const, vlan: 5, qos: 3 } };
    const ixgbe = healthyFacts({ nics: [igbPf({ driver: 'ixgbe' })], config: { ...healthyFacts().config, networks } });
    expect(checkDriverQuirks(ixgbe)).toEqual([{
      id: 'driver-quirk:eth0', status: 'warn', summary: "eth0 (ixgbe) can't give what the config sets for network lan (link state enable)",
      fix: expect.stringMatching(/^remove link state enable from networks\.lan in .* if that network takes VFs of eth0 \(docs\/drivers\.md\)$/),
    }]);
    const bnx2x = healthyFacts({ nics: [igbPf({ driver: 'bnx2x' })], config: { ...healthyFacts().config, networks } });
    expect(checkDriverQuirks(bnx2x)[0]!.summary).toBe("eth0 (bnx2x) can't give what the config sets for network dmz (VLAN QoS 3)");
  });

  test('driver quirks: bnx2x needs its PF in the config; i40e\'s filter limits and igb\'s missing link state are said', () => {
    const bnx2x = (pfs: Record<string, { numVfs: number }>) => healthyFacts({ nics: [igbPf({ driver: 'bnx2x' })], config: { ...healthyFacts().config, pfs } });
    expect(checkDriverQuirks(bnx2x({}))[0]).toMatchObject({ status: 'warn', fix: expect.stringMatching(/set pfs\.eth0 to \{"numVfs": \d+\}$/) });
    expect(checkDriverQuirks(bnx2x({ eth0: { numVfs: 2 } }))[0]).toMatchObject({ status: 'ok', summary: expect.stringContaining('the daemon hook does it at boot') });
    expect(checkDriverQuirks(healthyFacts({ nics: [igbPf({ driver: 'i40e' })] }))[0]).toMatchObject({
      status: 'ok', summary: expect.stringContaining("an untrusted VF gets at most 16 MACs and 16 VLANs: a guest that tags more VLANs itself or adds MACs (bonds, bridges, macvlan) loses traffic; give such a guest trust='on'"),
    });
    expect(checkDriverQuirks(healthyFacts({ nics: [igbPf({ driver: 'igb' })] }))[0]!.summary).toBe("eth0 (igb) can't set a VF's link state, min tx rate, query_rss; no network in the config asks for it");
    expect(checkDriverQuirks(healthyFacts({ nics: [igbPf({ driver: 'unknown_nic' })] }))).toEqual([]);
  });
});

describe('libvirt', () => {
  test("the seed's Debian 7 (libvirt 0.9.12, qemu-kvm 1.1.2): only plain hostdev, and why", () => {
    const c = checkVersions(healthyFacts({ libvirt: connectedTo('0.9.12', '1.1.2') }));
    expect(c.status).toBe('warn');
    expect(c.summary).toBe('libvirt 0.9.12, qemu 1.1.2 (from the daemon at qemu:///system): only style hostdev; '
      + 'network style needs libvirt >= 0.10.0 (this is 0.9.12); interface style needs qemu >= 1.3.0 (this is 1.1.2)');
    expect(c.fix).toBe('upgrade to libvirt >= 0.10.0 and qemu >= 1.3.0 for VF pools (network style) and MAC/VLAN in the XML');
  });

  test('a daemon that does not report the qemu version: the binary\'s is used', () => {
    const c = checkVersions(healthyFacts({ libvirt: connectedTo('9.0.0', null), binaryVersions: { libvirt: version('9.0.0'), qemu: version('7.2.22') } }));
    expect(c.summary).toMatch(/^libvirt 9\.0\.0, qemu 7\.2\.22 /);
  });

  test('a session daemon runs no hooks', () => {
    const c = checkLibvirtConnection(healthyFacts({ libvirt: connectedTo('9.0.0', '7.2.0', { uri: 'qemu:///session' }) }));
    expect(c).toMatchObject({ status: 'warn', fix: 'use the system daemon: -c qemu:///system (and unset LIBVIRT_DEFAULT_URI)' });
  });

  test('domcapabilities: no hostdev support fails; an error or unreadable XML warns', () => {
    const none = connectedTo('9.0.0', '7.2.0', { domainCapabilities: { xml: "<domainCapabilities><devices><hostdev supported='no'/></devices></domainCapabilities>" } });
    expect(checkDomainCapabilities(healthyFacts({ libvirt: none })).status).toBe('fail');
    const error = connectedTo('9.0.0', '7.2.0', { domainCapabilities: { error: 'unable to find any emulator to serve \'x86_64\' architecture' } });
    expect(checkDomainCapabilities(healthyFacts({ libvirt: error }))).toMatchObject({ status: 'warn', fix: expect.stringContaining('/dev/kvm') });
    const junk = connectedTo('9.0.0', '7.2.0', { domainCapabilities: { xml: '<domainCapabilities>' } });
    expect(checkDomainCapabilities(healthyFacts({ libvirt: junk })).status).toBe('warn');
  });
});

describe('hooks', () => {
  test('hooks in <driver>.d/ under a libvirt older than 6.5 never run', () => {
    const c = checkHooksInstalled(healthyFacts({ libvirt: connectedTo('6.0.0', '4.2.0') }));
    expect(c).toMatchObject({ status: 'fail', fix: expect.stringContaining('./install.sh --libvirt-version 6.0.0') });
  });

  test('a hook installed both ways runs twice', () => {
    const f = healthyFacts();
    const installed = [...f.hooks.installed, hook('qemu', { path: '/etc/libvirt/hooks/qemu', layout: 'main' })];
    expect(checkHooksInstalled(healthyFacts({ hooks: { ...f.hooks, installed } }))).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^the qemu hook is installed twice/) });
  });

  test('a daemon restarted by the same script, within the start time\'s rounding, counts as restarted', () => {
    const mtime = T0 - 3_600_000;
    const f = (startedAtMs: number) => healthyFacts({ daemons: [{ name: 'virtqemud', pid: 5, startedAtMs }] });
    expect(checkDaemonRestarted(f(mtime - 20)).status).toBe('ok');
    expect(checkDaemonRestarted(f(mtime - 5_000)).status).toBe('fail');
  });

  test('a config that can\'t be used is a failure of its own', () => {
    const c = checkConfig(healthyFacts({ config: { path: '/tmp/x.json', error: { message: 'config /tmp/x.json: not valid JSON', fix: 'fix the JSON syntax' }, pfs: {}, networks: {} } }));
    expect(c).toEqual({ id: 'config', status: 'fail', summary: 'config /tmp/x.json: not valid JSON (the other checks assume the defaults)', fix: 'fix the JSON syntax' });
  });
});

describe('the report', () => {
  const checks: Check[] = [
    { id: 'iommu-groups', status: 'ok', summary: 'IOMMU on', fix: null },
    { id: 'kernel-config:CONFIG_VFIO', status: 'fail', summary: 'CONFIG_VFIO not set', fix: 'use a kernel with it' },
    { id: 'pf-up:eth0', status: 'warn', summary: 'eth0 is down', fix: 'ip link set dev eth0 up' },
  ];

  test('text: status, aligned ids, the summary; each fix under its check; the totals', () => {
    expect(renderText(checks)).toBe([
      'ok    iommu-groups               IOMMU on',
      'FAIL  kernel-config:CONFIG_VFIO  CONFIG_VFIO not set',
      '                                 fix: use a kernel with it',
      'WARN  pf-up:eth0                 eth0 is down',
      '                                 fix: ip link set dev eth0 up',
      '',
      '3 checks: 1 ok, 1 warning, 1 failed',
    ].join('\n'));
  });

  test('JSON: the documented fields only; exit code 1 only for a failure', () => {
    expect(doctorJson(checks).checks.map((c) => Object.keys(c))).toEqual(Array(3).fill(['id', 'status', 'summary', 'fix']));
    expect(exitCodeOf(checks)).toBe(1);
    expect(exitCodeOf(checks.filter((c) => c.status !== 'fail'))).toBe(0);
  });

  test('the healthy hand-written host passes everything', () => {
    expect(diagnose(healthyFacts()).filter((c) => c.status !== 'ok')).toEqual([]);
  });
});
