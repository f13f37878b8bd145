/**
 * A fake SR-IOV host for tests: a sysfs tree in a temp dir, laid out as the kernel lays it out
 * (class/net/PF -> device with sriov_totalvfs, sriov_numvfs, virtfnN; each VF with physfn,
 * driver, iommu_group, net/), and an `ip` that keeps VF state in a JSON file beside it and
 * answers `ip -j link show` in the shape a real igb PF printed (test/fixtures/captures), with
 * the fields, refusals and quirks of the PF's driver from src/drivers/driver-profiles.ts.
 *
 * The same files serve an in-process fake (`host.sysfs`, `host.ip`) and, through
 * fake-ip-cli.ts, a separate `ip` process for hooks that a real libvirtd runs.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, dirname } from 'node:path';
import { sysfsAt, type Sysfs } from '../../src/host/sysfs.js';
import { parsePfLink } from '../../src/host/ip-link.js';
import type { IpTool } from '../../src/host/ip.js';
import { OperationError } from '../../src/errors.js';
import { profileOf, ZERO_MAC, type Capability, type DriverProfile } from '../../src/drivers/driver-profiles.js';

export interface FakePfSpec {
  name: string;
  pci: string;
  /** The PF's driver (igb by default): its profile decides what ip shows and refuses. */
  driver?: string;
  vfDriver?: string;
  totalVfs?: number;
  numVfs?: number;
  up?: boolean;
  /** ip link set options refused beyond what the driver's profile refuses. */
  refuses?: string[];
  /** Link MAC of the PF. */
  mac?: string;
  /** Faults beyond the profile's: EPERM when a VLAN is cleared (libvirt tolerates it), EINVAL for a zero MAC. */
  faults?: { vlanClear?: 'EPERM'; zeroMac?: 'EINVAL' };
  /** Reads after a MAC write that still show the old MAC (default 1 where the profile has mac-settles-late). */
  macLateReads?: number;
}

export interface FakeVfState {
  mac: string;
  vlan: number;
  qos: number;
  spoofchk: boolean;
  trust: boolean;
  link_state: 'auto' | 'enable' | 'disable';
  min_tx: number;
  max_tx: number;
  query_rss: boolean;
  /** What the VF carried since it was created (the hardware's count; shown per the driver's vfStats). */
  traffic?: FakeTraffic;
}

export interface FakeTraffic {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
  broadcast: number;
  multicast: number;
  rxDropped: number;
  txDropped: number;
}

export const NO_TRAFFIC: FakeTraffic = { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0, broadcast: 0, multicast: 0, rxDropped: 0, txDropped: 0 };

interface PfState {
  spec: Required<Omit<FakePfSpec, 'refuses' | 'mac' | 'faults' | 'macLateReads'>> & Pick<FakePfSpec, 'faults' | 'macLateReads'> & { refuses: string[]; mac: string };
  up: boolean;
  vfs: FakeVfState[];
}

export interface FakeHostState {
  pfs: Record<string, PfState>;
  /** Every ip invocation: argv, and the batch lines it ran. */
  calls: { argv: string[]; batch?: string[] }[];
  /** MACs a driver took but does not show yet: "PF/N" -> the MAC still shown, for this many reads. */
  lateMacs?: Record<string, { shown: string; reads: number }>;
  /** Fault injection: fail the Nth `link set ... vf` command from now on (1-based), once. */
  failVfCommandAt?: number;
  vfCommandsSeen?: number;
}

export const FRESH_VF: FakeVfState = {
  mac: '00:00:00:00:00:00', vlan: 0, qos: 0, spoofchk: true, trust: false, link_state: 'auto', min_tx: 0, max_tx: 0, query_rss: false,
};

/** igb's VF addresses: VF i of a PF on bus B is B:10.0, B:10.2, ... (two VFs per slot function pair). */
export function igbVfAddress(pfPci: string, i: number): string {
  const bus = pfPci.slice(0, 8); // 0000:01:
  const slot = 0x10 + Math.floor(i / 4);
  return `${bus}${slot.toString(16).padStart(2, '0')}.${(i % 4) * 2}`;
}

export class FakeHost {
  readonly root: string;
  readonly statePath: string;
  readonly sysfs: Sysfs;
  readonly ip: IpTool;

  private constructor(root: string) {
    this.root = root;
    this.statePath = join(root, 'fake-host.json');
    const real = sysfsAt(join(root, 'sys'));
    this.sysfs = { ...real, write: (p, v) => this.writeSysfs(p, v) };
    this.ip = {
      show: async (pf, o = {}) => parsePfLink(this.runIp([...(o.stats ? ['-s'] : []), '-j', 'link', 'show', 'dev', pf]).stdout, pf),
      showAll: async (pfs, o = {}) => {
        if (pfs.length <= 1) return Promise.all(pfs.map((pf) => this.ip.show(pf, o)));
        const r = this.runIp([...(o.stats ? ['-s'] : []), '-j', '-batch', '-'], pfs.map((pf) => `link show dev ${pf}`).join('\n') + '\n');
        if (r.code !== 0) throw new OperationError(`ip -j -batch - failed: ${r.stderr.trim()}`);
        return r.stdout.trim().split('\n').map((l, i) => parsePfLink(l, pfs[i]!));
      },
      batch: async (commands) => {
        const r = this.runIp(['-batch', '-'], commands.map((c) => c.join(' ')).join('\n') + '\n');
        if (r.code !== 0) throw new OperationError(`ip -batch - failed: ${r.stderr.trim()}`);
      },
    };
  }

  static create(pfs: FakePfSpec[], dir?: string): FakeHost {
    const root = dir ?? mkdtempSync(join(tmpdir(), 'virt-sriov-fake-host-'));
    const host = new FakeHost(root);
    const state: FakeHostState = { pfs: {}, calls: [] };
    for (const spec of pfs) {
      const driver = spec.driver ?? 'igb';
      // a fake PF always makes PCI VFs: a driver whose VFs have no driver of their own
      // (netdevsim) gets igbvf's stand-in, so every profile runs every hook path
      const full = {
        driver, vfDriver: profileOf(driver)?.vfDriver ?? 'igbvf', totalVfs: 7, numVfs: 0, up: true, refuses: [], mac: '52:54:00:12:34:56', ...spec,
      };
      state.pfs[spec.name] = { spec: full, up: full.up, vfs: [] };
      host.buildPf(full);
    }
    host.save(state);
    for (const spec of pfs) if (spec.numVfs) host.setNumVfs(spec.name, spec.numVfs);
    return host;
  }

  /** Attach to a fake host another process created. */
  static open(root: string): FakeHost {
    return new FakeHost(root);
  }

  /** The `ipCommand` for a config: runs fake-ip-cli.ts's bundle against this host. */
  ipCommand(bundle: string): string[] {
    return [process.execPath, bundle, this.root];
  }

  get sysRoot(): string {
    return join(this.root, 'sys');
  }

  load(): FakeHostState {
    return JSON.parse(readFileSync(this.statePath, 'utf8')) as FakeHostState;
  }

  save(state: FakeHostState): void {
    const tmp = `${this.statePath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state, null, 1));
    renameSync(tmp, this.statePath);
  }

  update(f: (s: FakeHostState) => void): void {
    const s = this.load();
    f(s);
    this.save(s);
  }

  vf(pf: string, i: number): FakeVfState {
    const v = this.load().pfs[pf]?.vfs[i];
    if (!v) throw new Error(`fake host: ${pf} has no VF ${i}`);
    return v;
  }

  setVf(pf: string, i: number, patch: Partial<FakeVfState>): void {
    this.update((s) => Object.assign(s.pfs[pf]!.vfs[i]!, patch));
  }

  /**
   * Traffic through VF i: counted by the NIC (shown by `ip -s` where the PF's driver has
   * ndo_get_vf_stats) and, while a host driver binds the VF, by its netdev (sysfs statistics).
   */
  countTraffic(pf: string, i: number, delta: Partial<FakeTraffic>): void {
    this.update((s) => {
      const vf = s.pfs[pf]!.vfs[i]!;
      const t = { ...NO_TRAFFIC, ...vf.traffic };
      for (const [k, v] of Object.entries(delta) as [keyof FakeTraffic, number][]) t[k] += v;
      vf.traffic = t;
    });
    const net = join(this.sysRoot, 'bus/pci/devices', this.vfAddress(pf, i), 'net');
    for (const netdev of existsSync(net) ? readdirSync(net) : []) {
      const dir = join(net, netdev, 'statistics');
      for (const [file, key] of NETDEV_STATISTICS) {
        const now = Number(readFileSync(join(dir, file), 'utf8'));
        writeFileSync(join(dir, file), `${now + (delta[key] ?? 0)}\n`);
      }
    }
  }

  vfAddress(pf: string, i: number): string {
    return igbVfAddress(this.load().pfs[pf]!.spec.pci, i);
  }

  /** Bind a VF to a driver, as libvirt does when it detaches it to vfio-pci for a guest. */
  bindVf(pf: string, i: number, driver: string | null): void {
    const dev = join(this.sysRoot, 'bus/pci/devices', this.vfAddress(pf, i));
    rmSync(join(dev, 'driver'), { force: true });
    rmSync(join(dev, 'net'), { recursive: true, force: true });
    mkdirSync(join(dev, 'net'), { recursive: true });
    if (driver) {
      this.link(join(dev, 'driver'), join(this.sysRoot, 'bus/pci/drivers', driver));
      if (driver !== 'vfio-pci') this.makeNetdev(dev, `${pf}v${i}`);
    }
  }

  calls(): FakeHostState['calls'] {
    return this.load().calls;
  }

  clearCalls(): void {
    this.update((s) => {
      s.calls = [];
    });
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  // ---- the kernel's side ----

  private writeSysfs(p: string, value: string): void {
    const m = /^(?:class\/net\/([^/]+)\/device|bus\/pci\/devices\/([^/]+))\/sriov_numvfs$/.exec(p);
    if (!m) return sysfsAt(this.sysRoot).write(p, value);
    const pf = m[1] ?? Object.values(this.load().pfs).find((x) => x.spec.pci === m[2])?.spec.name;
    if (!pf) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    this.setNumVfs(pf, Number(value.trim()));
  }

  /** What writing sriov_numvfs does: 0 removes every VF, N creates N; N -> M (both non-zero) is EBUSY. */
  setNumVfs(pf: string, n: number): void {
    const s = this.load();
    const p = s.pfs[pf]!;
    const current = p.vfs.length;
    const busy = (why: string) => Object.assign(new Error(`EBUSY: ${why}`), { code: 'EBUSY' });
    if (!Number.isInteger(n) || n < 0 || n > p.spec.totalVfs) throw Object.assign(new Error(`ERANGE: ${n} VFs`), { code: 'ERANGE' });
    if (n !== 0 && current !== 0 && n !== current) throw busy('change the VF count through 0');
    if (n === 0 && current > 0) {
      for (let i = 0; i < current; i++) {
        if (this.sysfs.linkName(`bus/pci/devices/${igbVfAddress(p.spec.pci, i)}/driver`) === 'vfio-pci') {
          throw busy(`VF ${i} is assigned to a guest`);
        }
      }
    }
    const dev = join(this.sysRoot, 'bus/pci/devices', p.spec.pci);
    for (let i = 0; i < current; i++) {
      rmSync(join(dev, `virtfn${i}`), { force: true });
      rmSync(join(this.sysRoot, 'bus/pci/devices', igbVfAddress(p.spec.pci, i)), { recursive: true, force: true });
      rmSync(join(this.sysRoot, 'class/net', `${pf}v${i}`), { force: true });
    }
    p.vfs = [];
    for (let i = 0; i < n; i++) {
      const vf = igbVfAddress(p.spec.pci, i);
      const vdev = join(this.sysRoot, 'bus/pci/devices', vf);
      mkdirSync(join(vdev, 'net'), { recursive: true });
      this.link(join(vdev, 'physfn'), dev);
      this.link(join(dev, `virtfn${i}`), vdev);
      this.link(join(vdev, 'driver'), join(this.sysRoot, 'bus/pci/drivers', p.spec.vfDriver));
      this.link(join(vdev, 'iommu_group'), join(this.sysRoot, 'kernel/iommu_groups', String(20 + i)));
      this.makeNetdev(vdev, `${pf}v${i}`);
      p.vfs.push({ ...FRESH_VF });
    }
    writeFileSync(join(dev, 'sriov_numvfs'), `${n}\n`);
    this.save(s);
  }

  private buildPf(spec: PfState['spec']): void {
    const dev = join(this.sysRoot, 'bus/pci/devices', spec.pci);
    mkdirSync(dev, { recursive: true });
    for (const d of [spec.driver, spec.vfDriver, 'vfio-pci']) mkdirSync(join(this.sysRoot, 'bus/pci/drivers', d), { recursive: true });
    mkdirSync(join(this.sysRoot, 'kernel/iommu_groups'), { recursive: true });
    writeFileSync(join(dev, 'sriov_totalvfs'), `${spec.totalVfs}\n`);
    writeFileSync(join(dev, 'sriov_numvfs'), '0\n');
    // igb's SR-IOV capability: VF n at routing ID PF + 128 + 2n (igbVfAddress)
    writeFileSync(join(dev, 'sriov_offset'), '128\n');
    writeFileSync(join(dev, 'sriov_stride'), '2\n');
    this.link(join(dev, 'driver'), join(this.sysRoot, 'bus/pci/drivers', spec.driver));
    this.makeNetdev(dev, spec.name);
  }

  private makeNetdev(dev: string, name: string): void {
    const net = join(dev, 'net', name);
    mkdirSync(join(net, 'statistics'), { recursive: true });
    for (const [file] of NETDEV_STATISTICS) writeFileSync(join(net, 'statistics', file), '0\n');
    this.link(join(net, 'device'), dev);
    mkdirSync(join(this.sysRoot, 'class/net'), { recursive: true });
    rmSync(join(this.sysRoot, 'class/net', name), { force: true });
    this.link(join(this.sysRoot, 'class/net', name), net);
  }

  private link(at: string, target: string): void {
    mkdirSync(dirname(at), { recursive: true });
    if (existsSync(at)) rmSync(at, { force: true });
    symlinkSync(relative(dirname(at), target), at);
  }

  // ---- the ip command's side ----

  /** Run an `ip` command line against the fake host, as the real one would answer. */
  runIp(argv: string[], stdin = ''): { code: number; stdout: string; stderr: string } {
    const s = this.load();
    // -s (statistics) before the others, as `ip -s -j` is written; each VF then has its counters
    const asked = argv;
    const stats = argv[0] === '-s';
    if (stats) argv = argv.slice(1);
    const batch = argv[0] === '-batch' || (argv[0] === '-j' && argv[1] === '-batch') ? stdin.split('\n').filter((l) => l.trim()) : undefined;
    s.calls.push(batch ? { argv: asked, batch } : { argv: asked });
    try {
      if (argv[0] === '-j' && batch) {
        // as iproute2 prints it: one JSON array per `link show`, stopping at a device it lacks
        const out: string[] = [];
        for (const [n, line] of batch.entries()) {
          const [verb, what, dev, name] = line.trim().split(/\s+/);
          const pf = verb === 'link' && what === 'show' && dev === 'dev' && name !== undefined ? s.pfs[name] : undefined;
          if (!pf) return { code: 1, stdout: out.join(''), stderr: `Device "${name}" does not exist.\nCommand failed -:${n + 1}\n` };
          out.push(JSON.stringify([linkJson(pf, s, stats)]) + '\n');
        }
        return { code: 0, stdout: out.join(''), stderr: '' };
      }
      if (argv[0] === '-j' && argv[1] === 'link' && argv[2] === 'show') {
        const dev = argv[3] === 'dev' ? argv[4] : argv[3];
        const pf = dev && s.pfs[dev];
        if (!pf) return { code: 1, stdout: '', stderr: `Device "${dev}" does not exist.\n` };
        return { code: 0, stdout: JSON.stringify([linkJson(pf, s, stats)]), stderr: '' };
      }
      if (batch) {
        for (const [n, line] of batch.entries()) {
          const err = applyLinkSet(s, line.split(/\s+/));
          if (err) return { code: 1, stdout: '', stderr: `${err}\nCommand failed -:${n + 1}\n` };
        }
        return { code: 0, stdout: '', stderr: '' };
      }
      if (argv[0] === 'link' && argv[1] === 'set') {
        const err = applyLinkSet(s, argv);
        return err ? { code: 2, stdout: '', stderr: `${err}\n` } : { code: 0, stdout: '', stderr: '' };
      }
      return { code: 1, stdout: '', stderr: `fake ip: unsupported command: ${argv.join(' ')}\n` };
    } finally {
      this.save(s);
    }
  }
}

/** The netdev statistics files the fake keeps, and the traffic each counts. */
const NETDEV_STATISTICS: readonly [string, keyof FakeTraffic][] = [
  ['rx_bytes', 'rxBytes'], ['rx_packets', 'rxPackets'], ['tx_bytes', 'txBytes'], ['tx_packets', 'txPackets'],
  ['multicast', 'multicast'], ['rx_dropped', 'rxDropped'], ['tx_dropped', 'txDropped'],
];

/** iproute2's print_vf_stats64, as the lab's capture shows it; zeros for a driver without ndo_get_vf_stats (the kernel's memset). */
function vfStatsJson(v: FakeVfState, profile: DriverProfile | null): Record<string, unknown> {
  const t = profile && !profile.vfStats ? NO_TRAFFIC : { ...NO_TRAFFIC, ...v.traffic };
  return {
    rx: { bytes: t.rxBytes, packets: t.rxPackets, multicast: t.multicast, broadcast: t.broadcast, dropped: t.rxDropped },
    tx: { tx_bytes: t.txBytes, tx_packets: t.txPackets, dropped: t.txDropped },
  };
}

function linkJson(pf: PfState, s: FakeHostState, stats = false): Record<string, unknown> {
  const profile = profileOf(pf.spec.driver);
  // a MAC the driver took while the VF resets shows only after a few reads (i40e, ice)
  const shownMac = (i: number, mac: string) => {
    const late = s.lateMacs?.[`${pf.spec.name}/${i}`];
    if (!late || late.reads <= 0) return mac;
    late.reads--;
    return late.shown;
  };
  // the optional fields only where the driver's ndo_get_vf_config fills them, fixed ones as it fills them
  const reports = (f: 'spoofchk' | 'trust' | 'queryRss') => !profile || profile.reports.includes(f);
  const fixed = (f: 'spoofchk' | 'maxTxRate') => profile?.fixedReports.includes(f) ?? false;
  return {
    ifindex: 2, ifname: pf.spec.name,
    flags: pf.up ? ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'] : ['BROADCAST', 'MULTICAST'],
    mtu: 1500, operstate: pf.up ? 'UP' : 'DOWN', link_type: 'ether', address: pf.spec.mac, broadcast: 'ff:ff:ff:ff:ff:ff',
    vfinfo_list: pf.vfs.map((v, i) => ({
      vf: i, link_type: 'ether', address: shownMac(i, v.mac), broadcast: 'ff:ff:ff:ff:ff:ff',
      vlan_list: [v.vlan ? (v.qos ? { vlan: v.vlan, qos: v.qos } : { vlan: v.vlan }) : {}],
      ...(v.max_tx ? { tx_rate: v.max_tx } : {}),
      rate: { max_tx: fixed('maxTxRate') ? 10000 : v.max_tx, min_tx: v.min_tx },
      ...(reports('spoofchk') ? { spoofchk: fixed('spoofchk') ? true : v.spoofchk } : {}),
      link_state: v.link_state,
      ...(reports('trust') ? { trust: v.trust } : {}),
      ...(reports('queryRss') && !pf.spec.refuses.includes('query_rss') ? { query_rss_en: v.query_rss } : {}),
      ...(stats ? { stats: vfStatsJson(v, profile) } : {}),
    })),
  };
}

/** `link set [dev] PF up|down` or `link set [dev] PF vf N key value...`; returns an error text or null. */
function applyLinkSet(s: FakeHostState, argv: string[]): string | null {
  const args = argv.slice(argv[0] === 'link' && argv[1] === 'set' ? 2 : 0);
  if (args[0] === 'dev') args.shift();
  const name = args.shift();
  const pf = name ? s.pfs[name] : undefined;
  if (!pf) return `Cannot find device "${name}"`;
  if (args[0] === 'up' || args[0] === 'down') {
    pf.up = args[0] === 'up';
    return null;
  }
  if (args[0] !== 'vf') return `fake ip: unsupported: ${argv.join(' ')}`;
  const i = Number(args[1]);
  const vf = pf.vfs[i];
  if (!vf) return 'RTNETLINK answers: Invalid argument';
  s.vfCommandsSeen = (s.vfCommandsSeen ?? 0) + 1;
  if (s.failVfCommandAt !== undefined && s.vfCommandsSeen === s.failVfCommandAt) {
    delete s.failVfCommandAt;
    return 'RTNETLINK answers: Input/output error';
  }
  const next = { ...vf };
  const profile = profileOf(pf.spec.driver);
  for (let k = 2; k < args.length; k += 2) {
    const key = args[k]!;
    const value = args[k + 1];
    if (value === undefined) return `fake ip: ${key} needs a value`;
    if (pf.spec.refuses.includes(key)) return key === 'proto' ? 'RTNETLINK answers: Protocol not supported' : 'RTNETLINK answers: Operation not supported';
    const refusal = profile && driverRefuses(profile, key, value);
    if (refusal) return refusal;
    if (key === 'vlan' && value === '0' && vf.vlan !== 0 && pf.spec.faults?.vlanClear === 'EPERM') return 'RTNETLINK answers: Operation not permitted';
    if (key === 'mac' && value === ZERO_MAC && pf.spec.faults?.zeroMac === 'EINVAL') return 'RTNETLINK answers: Invalid argument';
    switch (key) {
      case 'mac': next.mac = value.toLowerCase(); break;
      // ip sends the QoS with every VLAN (0 when not given): `vlan N` alone clears a priority
      case 'vlan': next.vlan = Number(value); next.qos = 0; break;
      case 'qos': next.qos = Number(value); break;
      case 'spoofchk': next.spoofchk = value === 'on'; break;
      case 'trust': next.trust = value === 'on'; break;
      // a link state the driver logs as unsupported and ignores (ixgbe: enable) leaves it as it was
      case 'state': if (!profile?.linkStates || profile.linkStates.includes(value as FakeVfState['link_state'])) next.link_state = value as FakeVfState['link_state']; break;
      case 'min_tx_rate': next.min_tx = Number(value); break;
      case 'max_tx_rate': next.max_tx = Number(value); break;
      case 'query_rss': next.query_rss = value === 'on'; break;
      default: return `fake ip: unknown vf option ${key}`;
    }
  }
  if (next.vlan > 4095 || next.vlan < 0) return 'RTNETLINK answers: Invalid argument';
  const lateReads = pf.spec.macLateReads ?? (profile?.quirks.includes('mac-settles-late') ? 1 : 0);
  if (next.mac !== vf.mac && lateReads > 0) (s.lateMacs ??= {})[`${pf.spec.name}/${i}`] = { shown: vf.mac, reads: lateReads };
  pf.vfs[i] = next;
  return null;
}

/** The ndo_set_vf_* behind each `ip link set ... vf N` option. */
const OPTION_CAPABILITY: Record<string, Capability> = {
  mac: 'mac', vlan: 'vlan', qos: 'vlanQos', spoofchk: 'spoofchk', trust: 'trust', state: 'linkState',
  min_tx_rate: 'minTxRate', max_tx_rate: 'maxTxRate', query_rss: 'queryRss',
};

/** What the kernel answers when this driver gets `key value`, as its ndo_set_vf_* would; null when it takes it. */
function driverRefuses(profile: DriverProfile, key: string, value: string): string | null {
  const EOPNOTSUPP = 'RTNETLINK answers: Operation not supported';
  const EINVAL = 'RTNETLINK answers: Invalid argument';
  if (key === 'proto') return value.toLowerCase() === '802.1q' ? null : 'RTNETLINK answers: Protocol not supported';
  const capability = OPTION_CAPABILITY[key];
  if (!capability) return null;
  // the rates go to one ndo_set_vf_rate: without it both are refused; a driver with max only refuses a min
  if (key === 'min_tx_rate' || key === 'max_tx_rate') {
    if (!profile.sets.includes('maxTxRate') && !profile.sets.includes('minTxRate')) return EOPNOTSUPP;
    return profile.sets.includes(capability) || value === '0' ? null : EINVAL;
  }
  if (key === 'qos') return profile.sets.includes('vlanQos') || value === '0' ? null : EINVAL;
  if (!profile.sets.includes(capability)) return EOPNOTSUPP;
  if (key === 'mac' && value === ZERO_MAC && profile.zeroMac === 'refuses') return EINVAL;
  return null;
}

export function readFixture(...path: string[]): string {
  return readFileSync(new URL(`../fixtures/${path.join('/')}`, import.meta.url), 'utf8');
}

export const CAPTURES = 'captures/libvirt9.0-qemu7.2-igb';

export function captureStdin(file: string): string {
  return readFixture(CAPTURES, 'hook-stdin', file);
}

export function listCaptureFiles(): string[] {
  return readdirSync(new URL(`../fixtures/${CAPTURES}/hook-stdin`, import.meta.url));
}
