import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose } from '../../../src/doctor/doctor.js';
import type { Check } from '../../../src/doctor/facts.js';
import { gather } from '../../../src/doctor/gather.js';
import { ProbeError } from '../../../src/doctor/host.js';
import { OperationError } from '../../../src/errors.js';
import { version } from '../../../src/versions/version.js';
import { igbVfAddress, readFixture } from '../../support/fake-host.js';
import { DEBIAN_KERNEL_CONFIG, FakeDoctorHost, healthy, hostdevDomain, networkDomain, NOW, type FakeDoctorSpec } from './fake-doctor-host.js';

let fake: FakeDoctorHost | undefined;
afterEach(() => {
  fake?.remove();
  fake = undefined;
});

async function run(spec: FakeDoctorSpec, uri = 'qemu:///system'): Promise<Check[]> {
  fake?.remove(); // a test may run doctor more than once
  fake = FakeDoctorHost.create(spec);
  return diagnose(await gather(fake.host, { config: spec.config, uri }));
}

const notOk = (checks: Check[]) => checks.filter((c) => c.status !== 'ok').map((c) => `${c.status} ${c.id}`);
const byId = (checks: Check[], id: string) => {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${checks.map((x) => x.id).join(', ')}`);
  return c;
};

const ALL_IDS = [
  'config', 'iommu-groups', 'iommu-cmdline', 'kernel-version',
  'kernel-config:CONFIG_PCI_IOV', 'kernel-config:CONFIG_VFIO', 'kernel-config:CONFIG_VFIO_PCI', 'kernel-config:CONFIG_VFIO_IOMMU_TYPE1',
  'kernel-config:CONFIG_PCI_STUB', 'kernel-config:CONFIG_BNX2X_SRIOV',
  'vfio-pci', 'sriov-nics', 'sriov-nic:eth0', 'sriov-nic:eth1', 'pf-up:eth0', 'pf-up:eth1',
  'driver-quirk:eth0', 'driver-quirk:eth1',
  'versions', 'libvirt-connection', 'domcapabilities-vfio', 'hooks-installed', 'daemon-restarted', 'watcher',
];

describe('doctor on a healthy fake host', () => {
  test('every check passes, in a fixed order, each with a summary and no fix', async () => {
    const checks = await run(healthy());
    expect(notOk(checks)).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual(ALL_IDS);
    for (const c of checks) {
      expect(c.summary).not.toBe('');
      expect(c.fix).toBeNull();
    }
    // the versions came from the daemon: the binaries were not asked
    expect(fake!.detectCalls).toHaveLength(0);
  });

  test('summaries state the facts an admin wants to see', async () => {
    const checks = await run(healthy());
    expect(byId(checks, 'iommu-groups').summary).toBe('IOMMU on (VT-d): 12 IOMMU groups');
    expect(byId(checks, 'iommu-cmdline').summary).toBe('intel_iommu=on iommu=pt');
    expect(byId(checks, 'kernel-config:CONFIG_VFIO').summary).toMatch(/^CONFIG_VFIO=m: /);
    expect(byId(checks, 'kernel-config:CONFIG_BNX2X_SRIOV').summary).toContain("bnx2x's own SR-IOV support (eth1)");
    expect(byId(checks, 'sriov-nic:eth1').summary).toBe('eth1 (bnx2x, 0000:02:00.0): up to 64 VFs, 2 created; the config asks for 2');
    expect(byId(checks, 'versions').summary).toBe('libvirt 9.0.0, qemu 7.2.0 (from the daemon at qemu:///system): styles network, interface, hostdev; VLANs in the XML');
    expect(byId(checks, 'domcapabilities-vfio').summary).toContain('through vfio');
    expect(byId(checks, 'daemon-restarted').summary).toBe('libvirtd (pid 812) started after the hooks were installed');
  });
});

/** Each variant breaks one prerequisite; `expected` is every check that must then not be ok. */
const BROKEN: { name: string; change: (s: FakeDoctorSpec) => void; expected: string[]; fix: RegExp }[] = [
  {
    name: 'a config that does not validate',
    change: (s) => {
      s.config = { path: '/etc/virt-sriov/config.json', error: { message: 'config /etc/virt-sriov/config.json: pfs.eth0.numVfs: expected number', fix: 'fix that key' }, pfs: {}, networks: {} };
    },
    // with the defaults, no VF count is recorded and bnx2x has no quirk configured
    expected: ['fail config', 'warn sriov-nic:eth0', 'warn sriov-nic:eth1', 'warn driver-quirk:eth1'],
    fix: /^fix that key$/,
  },
  {
    name: 'IOMMU off in the BIOS (no IOMMU groups)',
    change: (s) => void (s.iommuGroups = 0),
    expected: ['fail iommu-groups'],
    fix: /enable VT-d in the BIOS and boot with intel_iommu=on/,
  },
  {
    name: 'intel_iommu=off on the kernel command line',
    change: (s) => void (s.cmdline = 'BOOT_IMAGE=/boot/vmlinuz ro intel_iommu=off'),
    expected: ['fail iommu-cmdline'],
    fix: /remove intel_iommu=off from GRUB_CMDLINE_LINUX/,
  },
  {
    name: "Debian 7's 3.2 kernel",
    change: (s) => void (s.release = '3.2.0-4-amd64'),
    expected: ['fail kernel-version'],
    fix: /kernel >= 3\.8/,
  },
  ...['CONFIG_PCI_IOV', 'CONFIG_VFIO', 'CONFIG_VFIO_PCI', 'CONFIG_VFIO_IOMMU_TYPE1', 'CONFIG_BNX2X_SRIOV'].map((option) => ({
    name: `a kernel without ${option}`,
    change: (s: FakeDoctorSpec) => void (s.kernelConfig = DEBIAN_KERNEL_CONFIG.replace(new RegExp(`^${option}=.*$`, 'm'), `# ${option} is not set`)),
    expected: [`fail kernel-config:${option}`],
    fix: new RegExp(`use a kernel built with ${option}=y`),
  })),
  {
    name: 'no kernel config anywhere',
    change: (s) => void (s.kernelConfig = null),
    expected: ['warn kernel-config'],
    fix: /install the config of the running kernel in \/boot/,
  },
  {
    name: 'vfio-pci neither loaded nor installed',
    change: (s) => void (s.vfioPci = 'absent'),
    expected: ['fail vfio-pci'],
    fix: /modprobe vfio-pci/,
  },
  {
    name: 'no SR-IOV NIC at all (a virtio NIC only)',
    change: (s) => {
      s.pfs = [];
      s.plainNics = [{ name: 'ens3', driver: 'virtio-pci' }];
      s.config = { ...s.config, pfs: {} };
    },
    expected: ['fail sriov-nics'],
    fix: /this host has no PCI NIC/,
  },
  {
    name: 'a PF whose SR-IOV is off in the BIOS (sriov_totalvfs 0)',
    change: (s) => void (s.pfs[0] = { ...s.pfs[0]!, totalVfs: 0, numVfs: 0 }),
    expected: ['fail sriov-nic:eth0'],
    fix: /enable SR-IOV in the BIOS .* and in the NIC's own settings/,
  },
  {
    name: 'a PF that is down',
    change: (s) => void (s.pfs[0] = { ...s.pfs[0]!, up: false }),
    expected: ['warn pf-up:eth0'],
    fix: /^ip link set dev eth0 up/,
  },
  {
    name: 'a bnx2x PF missing from the config (the daemon hook re-creates the VFs of configured PFs only)',
    change: (s) => {
      s.config = { ...s.config, pfs: { eth0: { numVfs: 2 } } };
      s.pfs[1] = { ...s.pfs[1]!, numVfs: 0 }; // no live VFs the config leaves out: that is another warning
    },
    expected: ['warn driver-quirk:eth1'],
    fix: /set pfs\.eth1 to \{"numVfs": \d+\}/,
  },
  {
    name: 'an igb PF while the config sets a VF link state',
    change: (s) => void (s.config = { ...s.config, networks: { sriov: { linkState: 'enable' } } }),
    expected: ['warn driver-quirk:eth0'],
    fix: /remove link state enable from networks\.sriov in .* if that network takes VFs of eth0/,
  },
  {
    name: 'neither libvirt nor qemu installed',
    change: (s) => {
      s.libvirt = new ProbeError("Failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': No such file or directory", null);
      s.versions = new OperationError('could not find libvirt on this host (looked for virtqemud, libvirtd, virsh)');
    },
    expected: ['fail versions', 'warn libvirt-connection', 'warn domcapabilities-vfio'],
    fix: /apt-get install libvirt-daemon-system qemu-system-x86/,
  },
  {
    name: 'no libvirt daemon running',
    change: (s) => {
      s.libvirt = new ProbeError("Failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': No such file or directory", null);
      s.daemons = [];
    },
    expected: ['warn libvirt-connection', 'warn domcapabilities-vfio'],
    fix: /systemctl start libvirtd/,
  },
  {
    name: 'libvirt without the vfio backend',
    change: (s) => void (s.libvirt = { ...(s.libvirt as Exclude<FakeDoctorSpec['libvirt'], Error>), domainCapabilities: { xml: readFixture('doctor', 'domcaps-qemu7.2-no-vfio.xml') } }),
    expected: ['fail domcapabilities-vfio'],
    fix: /turn the IOMMU on and load vfio-pci/,
  },
  {
    name: 'hooks not installed',
    change: (s) => void (s.hooks = null),
    expected: ['fail hooks-installed', 'warn daemon-restarted'],
    fix: /run \.\/install\.sh as root/,
  },
  {
    name: 'the daemon not restarted since the hooks were installed',
    change: (s) => void (s.daemons = [{ name: 'libvirtd', pid: 812, startedAgoMs: 2 * 3_600_000 }]),
    expected: ['fail daemon-restarted'],
    fix: /^systemctl restart libvirtd \(running guests keep running\)$/,
  },
  {
    name: 'a guest assigns a VF by address and the watcher does not run (its unit installed, under systemd)',
    change: (s) => void (s.watcher = 'none'),
    expected: ['warn watcher'],
    fix: /^systemctl enable --now virt-sriov-watch$/,
  },
];

describe('doctor on fake hosts built to fail each check once', () => {
  test.each(BROKEN)('$name', async ({ change, expected, fix }) => {
    const spec = healthy();
    change(spec);
    const checks = await run(spec);
    expect(notOk(checks)).toEqual(expected);
    const first = byId(checks, expected[0]!.split(' ')[1]!);
    expect(first.fix).toMatch(fix);
    for (const c of checks.filter((x) => x.status !== 'ok')) {
      expect(c.fix).toBeTruthy();
      // one line each
      expect(c.summary).not.toContain('\n');
      expect(c.fix).not.toContain('\n');
    }
  });

  test('every check id of the healthy host goes wrong in some variant', () => {
    const broken = new Set(BROKEN.flatMap((b) => b.expected.map((e) => e.split(' ')[1]!.replace(/:eth\d$/, ''))));
    for (const id of ALL_IDS) {
      if (id === 'kernel-config:CONFIG_PCI_STUB') continue; // not needed with libvirt 9: see checks.test.ts
      expect([...broken]).toContain(id.replace(/:eth\d$/, ''));
    }
  });
});

describe('the watcher', () => {
  const VF0 = igbVfAddress('0000:01:00.0', 0);

  test('running: its lock held in the state dir, as the kernel lists it, with its pid', async () => {
    const c = byId(await run(healthy()), 'watcher');
    expect(c).toMatchObject({ status: 'ok', summary: expect.stringMatching(/^virt-sriov watch runs \(pid 4242\): it holds .*run\/virt-sriov\/\.watch\.lock$/) });
  });

  test('in a pid namespace that lists no lock it can\'t name the taker of (a container): the pid file\'s process running `watch` says it runs', async () => {
    expect(byId(await run({ ...healthy(), watcher: 'unlisted' }), 'watcher')).toMatchObject({ status: 'ok', summary: expect.stringMatching(/^virt-sriov watch runs \(pid 4242\)/) });
  });

  test('a pid file without the lock held is a watcher that ended: said, with where to read why', async () => {
    const c = byId(await run({ ...healthy(), watcher: 'ended' }), 'watcher');
    expect(c.status).toBe('warn');
    expect(c.summary).toBe('1 guest assigns VFs by address (fw1) and virt-sriov watch does not run (its pid file names pid 4242, which ended without removing it): '
      + 'a VF plugged into them with plain virsh attach-device keeps the VLAN and trust it had, and one unplugged with detach-device stays claimed');
    expect(c.fix).toBe('journalctl -u virt-sriov-watch says why it ended; then systemctl enable --now virt-sriov-watch');
  });

  test('the fix fits the host: no unit installed, or no systemd at all', async () => {
    expect(byId(await run({ ...healthy(), watcher: 'none', unit: false }), 'watcher').fix).toBe('./install.sh --with-watcher (installs virt-sriov-watch.service, enables and starts it)');
    expect(byId(await run({ ...healthy(), watcher: 'none', systemd: false }), 'watcher').fix).toMatch(/^run `virt-sriov watch` \(it stays in the foreground\) under this host's service supervisor$/);
  });

  test('guests counted by what their addresses are: a VF, or no device now (VFs come back at start); a GPU or a network-style NIC needs no watcher', async () => {
    const gpu = '0000:65:00.0';
    const gone = '0000:01:10.6'; // a VF of a PF whose VFs are not made yet
    const s: FakeDoctorSpec = {
      ...healthy(), watcher: 'none',
      domains: [
        { name: 'fw1', running: false, xml: [hostdevDomain('fw1', VF0)] },
        { name: 'after-boot', running: false, xml: [hostdevDomain('after-boot', gone)] },
        { name: 'cad', running: true, xml: [hostdevDomain('cad', gpu), hostdevDomain('cad', gpu)] },
        { name: 'web', running: true, xml: [networkDomain('web'), networkDomain('web')] },
      ],
    };
    fake?.remove();
    fake = FakeDoctorHost.create(s);
    mkdirSync(join(fake.root, 'sys/bus/pci/devices', gpu), { recursive: true });
    const facts = await gather(fake.host, { config: s.config, uri: 'qemu:///system' });
    expect(facts.guests).toEqual([
      { name: 'fw1', running: false, devices: [{ pci: VF0, style: 'hostdev', device: 'vf' }] },
      { name: 'after-boot', running: false, devices: [{ pci: gone, style: 'hostdev', device: 'absent' }] },
      { name: 'cad', running: true, devices: [{ pci: gpu, style: 'hostdev', device: 'other' }] },
    ]);
    const c = diagnose(facts).find((x) => x.id === 'watcher')!;
    expect(c.status).toBe('warn');
    expect(c.summary).toMatch(/^2 guests assign VFs by address \(fw1 and after-boot\) and virt-sriov watch does not run: /);
  });

  test('no guest that needs it: not running is fine', async () => {
    const c = byId(await run({ ...healthy(), watcher: 'none', domains: [{ name: 'web', running: true, xml: [networkDomain('web')] }] }), 'watcher');
    expect(c).toMatchObject({ status: 'ok', summary: expect.stringContaining('does not run, and no guest assigns a VF by address') });
  });

  test('libvirt could not list the domains, or the URI is another host: not running is said, the guests not guessed', async () => {
    expect(byId(await run({ ...healthy(), watcher: 'none', domains: { error: 'access denied' } }), 'watcher'))
      .toMatchObject({ status: 'ok', summary: expect.stringContaining('whether guests need it is unknown') });
    expect(byId(await run({ ...healthy(), watcher: 'none' }, 'qemu+ssh://other.example/system'), 'watcher'))
      .toMatchObject({ status: 'ok', summary: expect.stringContaining("whether qemu+ssh://other.example/system's guests need it is for doctor on that host") });
  });
});

describe('what gather reads', () => {
  test('the kernel config from /proc/config.gz when /boot has none for this kernel', async () => {
    const checks = await run({ ...healthy(), kernelConfigAt: 'proc' });
    expect(byId(checks, 'kernel-config:CONFIG_PCI_IOV').summary).toMatch(/^CONFIG_PCI_IOV=y/);
    const s = healthy();
    s.kernelConfigAt = 'proc';
    s.kernelConfig = DEBIAN_KERNEL_CONFIG.replace('CONFIG_VFIO=m', '# CONFIG_VFIO is not set');
    expect(byId(await run(s), 'kernel-config:CONFIG_VFIO').summary).toContain('/proc/config.gz');
  });

  test('vfio-pci: loaded, built in, or installed as a module libvirt loads on first use', async () => {
    expect(byId(await run({ ...healthy(), vfioPci: 'builtin' }), 'vfio-pci')).toMatchObject({ status: 'ok', summary: 'vfio-pci is built into the kernel' });
    expect(byId(await run({ ...healthy(), vfioPci: 'module' }), 'vfio-pci')).toMatchObject({ status: 'ok', summary: expect.stringContaining('installed as a module, not loaded yet') });
    expect(byId(await run({ ...healthy(), vfioPci: 'absent' }), 'vfio-pci').status).toBe('fail');
  });

  test('hooks as one file per driver (libvirt < 6.5 layout), found by their marker; someone else\'s are not ours', async () => {
    const s = healthy();
    s.hooks = { layout: 'main', drivers: ['qemu', 'network', 'daemon'], mode: 0o755, installedAgoMs: 3_600_000 };
    expect(byId(await run(s), 'hooks-installed').status).toBe('ok');
    s.hooks = { layout: 'main', drivers: ['qemu', 'daemon'], mode: 0o755, installedAgoMs: 3_600_000 };
    s.foreignHooks = ['network'];
    const c = byId(await run(s), 'hooks-installed');
    expect(c.status).toBe('fail');
    expect(c.summary).toMatch(/the virt-sriov network hook is missing from .*etc\/libvirt\/hooks \(found: .*qemu and .*daemon\)/);
  });

  test('hooks that are not executable fail, naming them and the chmod', async () => {
    const s = healthy();
    s.hooks = { ...s.hooks!, mode: 0o644 };
    const c = byId(await run(s), 'hooks-installed');
    expect(c).toMatchObject({ status: 'fail', fix: expect.stringMatching(/^chmod 0755 .*qemu\.d\/virt-sriov .*network\.d\/virt-sriov .*daemon\.d\/virt-sriov$/) });
  });

  test('modular daemons: each is judged by the hooks it runs', async () => {
    const s = healthy();
    s.daemons = [
      { name: 'virtqemud', pid: 900, startedAgoMs: 60_000 },
      { name: 'virtnetworkd', pid: 901, startedAgoMs: 2 * 3_600_000 },
    ];
    const c = byId(await run(s), 'daemon-restarted');
    expect(c.status).toBe('fail');
    expect(c.summary).toBe(`virtnetworkd (pid 901) started 2025-03-01 10:00:00 UTC, before ${fake!.host.hooksDir}/network.d/virt-sriov changed (2025-03-01 11:00:00 UTC): it runs the old hooks or none`);
    expect(c.fix).toBe('systemctl restart virtnetworkd (running guests keep running)');
  });

  test('no daemon running: nothing to restart', async () => {
    const c = byId(await run({ ...healthy(), daemons: [] }), 'daemon-restarted');
    expect(c).toMatchObject({ status: 'ok', summary: expect.stringContaining('loads the hooks when it starts') });
  });

  test('without a connection, versions come from the binaries', async () => {
    const s = healthy();
    s.libvirt = new ProbeError('Failed to connect socket', null);
    s.versions = { libvirt: version('8.0.0'), qemu: version('6.2.0') };
    const checks = await run(s);
    expect(byId(checks, 'versions').summary).toBe('libvirt 8.0.0, qemu 6.2.0 (from the installed binaries): styles network, interface, hostdev; VLANs in the XML');
    expect(fake!.detectCalls).toHaveLength(1);
  });

  test('a missing libvirt0 says to install it, not to start a daemon', async () => {
    const s = healthy();
    s.libvirt = new ProbeError('cannot load libvirt.so.0', 'install it: apt-get install libvirt0');
    expect(byId(await run(s), 'libvirt-connection').fix).toBe('install it: apt-get install libvirt0');
  });

  test('a remote URI is said to be remote', async () => {
    const c = byId(await run(healthy(), 'qemu+ssh://root@kvm2/system'), 'libvirt-connection');
    expect(c.summary).toContain('(a remote host: the other checks are of this machine)');
  });

  test('the daemons\' start times come from /proc/PID/stat and the uptime, to the tick', async () => {
    fake = FakeDoctorHost.create(healthy());
    const facts = await gather(fake.host, { config: healthy().config, uri: 'qemu:///system' });
    expect(facts.daemons).toEqual([{ name: 'libvirtd', pid: 812, startedAtMs: NOW - 600_000 }]);
    expect(facts.nics.map((n) => [n.name, n.sriov, n.driver])).toEqual([['eth0', true, 'igb'], ['eth1', true, 'bnx2x']]);
  });
});
