/**
 * Faults while a guest starts: `ip` failing at each step k of an n-step `start` (every k), whole
 * ip invocations failing, the rollback failing too; and the host changing under the hooks: a PF
 * that vanished or went down, a VF bound to another driver, sysfs refusing sriov_numvfs.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import type { HookResult } from '../../src/hooks/run-hook.js';
import type { Sysfs } from '../../src/host/sysfs.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeHost, FakeVfState } from '../support/fake-host.js';
import type { HookBench } from '../support/hook-bench.js';
import { fastBench, faultyIp, recordFigure, runWatched, since, watch, type FaultPlan } from '../support/hardening.js';
import { FakeLibvirt, SRIOV_NS, uuidOf, type Guest } from '../support/hardening-scenarios.js';

let bench: HookBench | undefined;
afterEach(() => {
  bench?.remove();
  bench = undefined;
});

const ORIGINAL: Partial<FakeVfState>[] = [
  { mac: '02:11:22:33:44:55', spoofchk: true, trust: false },
  { mac: '02:11:22:33:44:66', vlan: 999, spoofchk: false, max_tx: 50 }, // left so by the host's admin
];

/** A guest with two plain hostdev VFs of eth0 and every setting its driver (bnxt_en: all but query_rss) can set on each. */
const TWO_VFS = `<domain type='kvm'>
  <name>busy</name>
  <uuid>${uuidOf(0xb)}</uuid>
  <metadata>
    <sriov:vfs xmlns:sriov='${SRIOV_NS}'>
      <sriov:vf pci='0000:01:10.0' mac='52:54:00:00:00:01' vlan='403:3' trust='on' spoofchk='off' link-state='enable' min-tx-rate='10' max-tx-rate='100'/>
      <sriov:vf pci='0000:01:10.2' mac='52:54:00:00:00:02' vlan='404' trust='on' spoofchk='off' link-state='disable' min-tx-rate='20' max-tx-rate='200'/>
    </sriov:vfs>
  </metadata>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/></source></hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></source></hostdev>
  </devices>
</domain>
`;

/** The <interface type='hostdev'> style: libvirt sets MAC and VLAN, the hook the rest. */
const IFACE: Guest = { name: 'iface', uuid: uuidOf(0xc), pf: 'eth0', vf: 2, pci: '0000:01:10.4', style: 'interface', mac: '52:54:00:aa:00:03', vlan: 405, trust: true, spoofchk: false, maxTxRate: 300 };

function freshBench(): HookBench {
  const b = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 3, driver: 'bnxt_en' }]);
  ORIGINAL.forEach((o, i) => b.host.setVf('eth0', i, o));
  return b;
}

const vfs = (host: FakeHost) => host.load().pfs.eth0!.vfs;
const run = (b: HookBench, ip: ReturnType<typeof faultyIp> | undefined, op: string, xml: string, name = 'busy') =>
  runWatched(b, watch(b.host, ip ? { ip } : {}), 'qemu', [name, op, op === 'stopped' || op === 'release' ? 'end' : 'begin', '-'], xml);

/** libvirt's prepare, then the VFs detached to vfio-pci, as before a `start`. */
async function prepared(b: HookBench): Promise<void> {
  expect((await run(b, undefined, 'prepare', TWO_VFS)).exitCode).toBe(0);
  b.host.bindVf('eth0', 0, 'vfio-pci');
  b.host.bindVf('eth0', 1, 'vfio-pci');
}

/** After a failed start libvirt runs stopped, gives the VFs back to the host, and runs release. */
async function libvirtCleansUp(b: HookBench): Promise<void> {
  expect((await run(b, undefined, 'stopped', TWO_VFS)).exitCode).toBe(0);
  b.host.bindVf('eth0', 0, 'bnxt_en');
  b.host.bindVf('eth0', 1, 'bnxt_en');
  expect((await run(b, undefined, 'release', TWO_VFS)).exitCode).toBe(0);
}

function expectRefused(r: HookResult): void {
  expect(r.exitCode).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^virt-sriov: domain busy: .*Every VF was put back and the guest was not started/);
}

describe('ip failing during start', () => {
  test('at every step k of the n-step start, and at every whole invocation: exit 1, every VF exactly as before start, and after libvirt\'s stop as before the guest', async () => {
    const started = Date.now();
    let faults = 0;
    // a clean run: how many vf commands and ip invocations a start of this guest makes
    bench = freshBench();
    const original = vfs(bench.host);
    await prepared(bench);
    const counter = faultyIp(bench.host.ip, {});
    expect(await run(bench, counter, 'start', TWO_VFS)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    const n = counter.vfCommandsSeen;
    const m = counter.invocationsSeen;
    expect(n).toBe(11); // mac, vlan, spoofchk, trust, state, rates on each of 2 VFs (VF 1's spoofchk is off already)
    expect(m).toBe(3); // one read, one ip -batch, one read-back
    bench.remove();

    const plans: FaultPlan[] = [
      ...Array.from({ length: n }, (_, k) => ({ vfCommands: [k + 1] })),
      ...Array.from({ length: m }, (_, j) => ({ invocations: [j + 1] })),
    ];
    for (const plan of plans) {
      bench = freshBench();
      await prepared(bench);
      const before = vfs(bench.host);
      const records = bench.records();
      const ip = faultyIp(bench.host.ip, plan);
      const r = await run(bench, ip, 'start', TWO_VFS);
      faults += ip.injected;
      expect(ip.injected).toBe(1);
      expectRefused(r);
      expect(vfs(bench.host)).toEqual(before); // exactly: MAC, VLAN, QoS, trust, spoofchk, state, rates, query_rss
      expect(bench.records()).toEqual(records); // still claimed, with the original state for release
      await libvirtCleansUp(bench);
      expect(vfs(bench.host)).toEqual(original);
      expect(bench.records()).toEqual([]);
      bench.remove();
      bench = undefined;
    }
    recordFigure('faults-start-each-step', {
      threat: 'ip failing at step k of an n-step start (every k), or a whole ip invocation failing',
      faults, cases: plans.length, failures: 0, seconds: since(started),
    });
  }, 120_000);

  test('the rollback failing too (a second fault at each of its steps): the guest does not start, and libvirt\'s stopped/release still leave every VF as before the guest', async () => {
    const started = Date.now();
    let faults = 0;
    const n = 11;
    for (let k = 1; k <= n; k++) {
      // the rollback writes every setting start touched on each VF: fail one of them as well
      for (const second of [n + 1, n + k]) {
        bench = freshBench();
        const original = vfs(bench.host);
        await prepared(bench);
        const ip = faultyIp(bench.host.ip, { vfCommands: [k, second] });
        const r = await run(bench, ip, 'start', TWO_VFS);
        faults += ip.injected;
        expectRefused(r);
        if (ip.injected === 2) expect(bench.lastLog().notes.join('\n')).toMatch(/could not put back/);
        await libvirtCleansUp(bench);
        expect(vfs(bench.host)).toEqual(original);
        expect(bench.records()).toEqual([]);
        bench.remove();
        bench = undefined;
      }
    }
    recordFigure('faults-start-rollback', {
      threat: 'ip failing during start and again during its rollback', faults, cases: 2 * n, failures: 0, seconds: since(started),
    });
  }, 120_000);

  test('<interface type=\'hostdev\'> (libvirt set MAC and VLAN before start): a fault at each step puts back what libvirt set, not less', async () => {
    let faults = 0;
    const started = Date.now();
    for (let k = 1; k <= 3; k++) { // spoofchk, trust, rates
      bench = freshBench();
      const lv = new FakeLibvirt(bench, watch(bench.host, { ip: faultyIp(bench.host.ip, {}) }));
      const original = vfs(bench.host)[2];
      // libvirt: prepare, vfio-pci, MAC and VLAN; then start with the fault
      expect((await lv.hook(IFACE, 'prepare')).exitCode).toBe(0);
      bench.host.bindVf('eth0', 2, 'vfio-pci');
      bench.host.setVf('eth0', 2, { mac: IFACE.mac!, vlan: IFACE.vlan! });
      const before = vfs(bench.host)[2];
      const ip = faultyIp(bench.host.ip, { vfCommands: [k] });
      const r = await runWatched(bench, watch(bench.host, { ip }), 'qemu', ['iface', 'start', 'begin', '-'], (await import('../support/hardening-scenarios.js')).guestXml(IFACE));
      faults += ip.injected;
      expect(r.exitCode).toBe(1);
      expect(vfs(bench.host)[2]).toEqual(before);
      // libvirt's stop puts MAC/VLAN back itself; the hook the rest
      expect((await lv.hook(IFACE, 'stopped')).exitCode).toBe(0);
      bench.host.setVf('eth0', 2, { mac: original!.mac, vlan: original!.vlan });
      bench.host.bindVf('eth0', 2, 'igbvf');
      expect((await lv.hook(IFACE, 'release')).exitCode).toBe(0);
      expect(vfs(bench.host)[2]).toEqual(original);
      bench.remove();
      bench = undefined;
    }
    recordFigure('faults-start-interface', {
      threat: 'ip failing during start of an <interface type=hostdev> guest', faults, cases: 3, failures: 0, seconds: since(started),
    });
  });
});

// ---- the host changing under the hooks ----

/** The PF and its VFs gone from sysfs and from ip, as when its driver is unloaded or the NIC is pulled. */
function vanish(host: FakeHost, pf: string): void {
  const s = host.load();
  const spec = s.pfs[pf]!.spec;
  s.pfs[pf]!.vfs.forEach((_, i) => {
    rmSync(join(host.sysRoot, 'bus/pci/devices', host.vfAddress(pf, i)), { recursive: true, force: true });
    rmSync(join(host.sysRoot, 'class/net', `${pf}v${i}`), { force: true });
  });
  rmSync(join(host.sysRoot, 'bus/pci/devices', spec.pci), { recursive: true, force: true });
  rmSync(join(host.sysRoot, 'class/net', pf), { force: true });
  delete s.pfs[pf];
  host.save(s);
}

/** A sysfs whose kernel refuses every sriov_numvfs write, as a driver without SR-IOV firmware support does. */
function refusingSysfs(inner: Sysfs): Sysfs {
  return {
    ...inner,
    write: (p, v) => {
      if (p.endsWith('/sriov_numvfs')) throw Object.assign(new Error(`ENOMEM: Cannot allocate memory, write '${p}'`), { code: 'ENOMEM' });
      inner.write(p, v);
    },
  };
}

const HOSTDEV_VF0 = TWO_VFS.replace(/\s*<hostdev[^\n]*function='0x2'[^\n]*\n/, '\n').replace(/\s*<sriov:vf pci='0000:01:10.2'[^\n]*\n/, '\n');
const NET_START = "<hookData><network><name>pool</name><forward mode='hostdev' managed='yes'><pf dev='eth0'/></forward></network></hookData>";

describe('the host changing under the hooks: a clear error that names the device', () => {
  test('a PF that vanished: prepare, start, network start and daemon start name it; nothing else changes', async () => {
    const started = Date.now();
    let faults = 0;
    // configured: prepare tries to create the VFs and says the PF is gone
    bench = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 3, driver: 'bnxt_en' }, { name: 'eth1', pci: '0000:02:00.0', numVfs: 1 }], { pfs: { eth0: { numVfs: 3 } } });
    vanish(bench.host, 'eth0');
    faults++;
    const p = await run(bench, undefined, 'prepare', HOSTDEV_VF0);
    expect(p.exitCode).toBe(1);
    expect(p.stderr).toMatch(/^virt-sriov: domain busy: hostdev \S+ names a PCI device this host doesn't have, and no SR-IOV PF of this host makes a VF there \(PF eth0 of \S+ does not exist on this host\)/);
    const n = await runWatched(bench, watch(bench.host), 'network', ['pool', 'start', 'begin', '-'], NET_START);
    expect(n.exitCode).toBe(1);
    expect(n.stderr).toMatch(/^virt-sriov: network pool: its PF eth0 does not exist on this host/);
    const d = await runWatched(bench, watch(bench.host), 'daemon', ['-', 'start', '-', 'start'], '');
    expect(d).toEqual({ exitCode: 0, stdout: '', stderr: '' }); // the daemon starts either way
    expect(bench.lastLog()).toMatchObject({ result: 'failed', notes: [expect.stringMatching(/PF eth0 does not exist/)] });
    expect(bench.records()).toEqual([]);
    bench.remove();

    // not configured: prepare names the device the domain asks for
    bench = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 3, driver: 'bnxt_en' }]);
    vanish(bench.host, 'eth0');
    faults++;
    const q = await run(bench, undefined, 'prepare', HOSTDEV_VF0);
    expect(q.exitCode).toBe(1);
    expect(q.stderr).toMatch(/^virt-sriov: domain busy: hostdev 0000:01:10.0 names a PCI device this host doesn't have/);
    bench.remove();

    // gone between prepare and start: start names the VF; stop and release still exit 0 and drop the claim
    bench = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 3, driver: 'bnxt_en' }]);
    expect((await run(bench, undefined, 'prepare', HOSTDEV_VF0)).exitCode).toBe(0);
    vanish(bench.host, 'eth0');
    faults++;
    const s = await run(bench, undefined, 'start', HOSTDEV_VF0);
    expect(s.exitCode).toBe(1);
    expect(s.stderr).toMatch(/^virt-sriov: domain busy: .*VF 0000:01:10.0.*this host doesn't have/);
    expect((await run(bench, undefined, 'stopped', HOSTDEV_VF0)).exitCode).toBe(0);
    expect((await run(bench, undefined, 'release', HOSTDEV_VF0)).exitCode).toBe(0);
    expect(bench.lastLog().notes.join('\n')).toMatch(/eth0/);
    recordFigure('faults-pf-vanished', { threat: 'a PF that vanished', faults, failures: 0, seconds: since(started) });
  });

  test('a PF that went down: the guest\'s VFs get a working PF or a clear error naming it', async () => {
    const started = Date.now();
    bench = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 3, up: false, driver: 'bnxt_en' }]);
    const p = await run(bench, undefined, 'prepare', HOSTDEV_VF0);
    if (p.exitCode === 0) {
      // brought up (as network start and daemon start do): libvirt can set a VF's MAC only on a PF that is up
      expect(bench.host.load().pfs.eth0!.up).toBe(true);
      expect(bench.lastLog().notes).toContain('eth0: brought up');
    } else {
      expect(p.stderr).toMatch(/^virt-sriov: .*eth0.* is down/);
    }
    // network start refuses with the command to run (libvirt would not bring it up either)...
    bench.host.update((s) => void (s.pfs.eth0!.up = false));
    const refused = await runWatched(bench, watch(bench.host), 'network', ['pool', 'start', 'begin', '-'], NET_START);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^virt-sriov: PF eth0 is down, and libvirt sets a VF's MAC only on a PF that is up\n {2}fix: bring it up: `ip link set eth0 up`/);
    expect(bench.host.load().pfs.eth0!.up).toBe(false);
    bench.remove();
    // ... and brings it up when the config says so
    bench = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 3, up: false }], { pfs: { eth0: { numVfs: 3, bringUp: true } } });
    expect((await runWatched(bench, watch(bench.host), 'network', ['pool', 'start', 'begin', '-'], NET_START)).exitCode).toBe(0);
    expect(bench.host.load().pfs.eth0!.up).toBe(true);
    recordFigure('faults-pf-down', { threat: 'a PF that went down', faults: 3, failures: 0, seconds: since(started) });
  });

  test('a VF bound to vfio-pci by a guest virt-sriov does not know: no VF count change destroys it, and the error names it', async () => {
    const started = Date.now();
    bench = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }], { pfs: { eth0: { numVfs: 4 } } });
    bench.host.bindVf('eth0', 1, 'vfio-pci');
    const n = await runWatched(bench, watch(bench.host), 'network', ['pool', 'start', 'begin', '-'], NET_START);
    expect(n.exitCode).toBe(1);
    expect(n.stderr).toMatch(/^virt-sriov: .*0000:01:10.2 \(vfio-pci\)/);
    const d = await runWatched(bench, watch(bench.host), 'daemon', ['-', 'start', '-', 'start'], '');
    expect(d.exitCode).toBe(0);
    expect(bench.lastLog().notes.join('\n')).toMatch(/0000:01:10.2 \(vfio-pci\)/);
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('2');
    recordFigure('faults-vf-other-driver', { threat: 'a VF bound to another driver', faults: 2, failures: 0, seconds: since(started) });
  });

  test('sysfs refusing sriov_numvfs: network start, daemon start and prepare say which PF and why; nothing half-done', async () => {
    const started = Date.now();
    bench = fastBench([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 0 }], { pfs: { eth0: { numVfs: 3 } } });
    const watched = watch(bench.host, { sysfs: refusingSysfs(bench.host.sysfs) });
    const n = await runWatched(bench, watched, 'network', ['pool', 'start', 'begin', '-'], NET_START);
    expect(n.exitCode).toBe(1);
    expect(n.stderr).toMatch(/^virt-sriov: eth0: the kernel refused 3 VFs \(sriov_numvfs\): ENOMEM/);
    const d = await runWatched(bench, watched, 'daemon', ['-', 'start', '-', 'start'], '');
    expect(d.exitCode).toBe(0);
    expect(bench.lastLog().notes.join('\n')).toMatch(/eth0: the kernel refused 3 VFs/);
    const p = await runWatched(bench, watched, 'qemu', ['busy', 'prepare', 'begin', '-'], HOSTDEV_VF0);
    expect(p.exitCode).toBe(1);
    expect(p.stderr).toMatch(/^virt-sriov: eth0: the kernel refused 3 VFs/);
    expect(bench.host.sysfs.read('class/net/eth0/device/sriov_numvfs')).toBe('0');
    expect(bench.records()).toEqual([]);
    recordFigure('faults-sysfs-refuses', { threat: 'sysfs refusing sriov_numvfs', faults: 3, failures: 0, seconds: since(started) });
  });
});
