/**
 * Guests for the hardening suite, and libvirt's side of starting and stopping them on a fake
 * host, as libvirt 9.0 does it (docs libvirt-facts.md, "Order of events"): prepare, detach to
 * vfio-pci, MAC/VLAN set by libvirt for <interface type='hostdev'>, start; on a failed start or a
 * stop: stopped, MAC/VLAN put back by libvirt, back to the host driver, release.
 */
import type { HookName, HookResult } from '../../src/hooks/run-hook.js';
import type { FakeVfState } from './fake-host.js';
import type { HookBench } from './hook-bench.js';
import { runWatched, watch, type Watched } from './hardening.js';

export const SRIOV_NS = 'http://virt-sriov.org/xmlns/domain/1.0';

export interface Guest {
  readonly name: string;
  readonly uuid: string;
  readonly pf: string;
  readonly vf: number;
  readonly pci: string;
  /** hostdev: the hook sets everything; interface: libvirt sets MAC and VLAN (<interface type='hostdev'>). */
  readonly style: 'hostdev' | 'interface';
  readonly vlan?: number;
  readonly mac?: string;
  readonly trust?: boolean;
  readonly spoofchk?: boolean;
  readonly maxTxRate?: number;
}

export const uuidOf = (n: number) => `c0ffee00-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** Another tenant, running on eth1 vf 0 with a VLAN, a MAC and trust of its own. */
export const TENANT: Guest = {
  name: 'tenant-a', uuid: uuidOf(0xa), pf: 'eth1', vf: 0, pci: '0000:81:10.0', style: 'hostdev', vlan: 777, mac: '52:54:00:77:77:77', trust: true,
};

function pciAttributes(pci: string): string {
  const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(pci);
  if (!m) throw new Error(`not a PCI address: ${pci}`);
  return `domain='0x${m[1]}' bus='0x${m[2]}' slot='0x${m[3]}' function='0x${m[4]}'`;
}

/** A domain with one VF-pinned device in `g`'s style, its settings in XML and metadata as virt-sriov writes them. */
export function guestXml(g: Guest): string {
  const settings = [
    g.style === 'hostdev' && g.mac ? `mac='${g.mac}'` : '', g.style === 'hostdev' && g.vlan ? `vlan='${g.vlan}'` : '',
    g.trust !== undefined ? `trust='${g.trust ? 'on' : 'off'}'` : '', g.spoofchk !== undefined ? `spoofchk='${g.spoofchk ? 'on' : 'off'}'` : '',
    g.maxTxRate !== undefined ? `max-tx-rate='${g.maxTxRate}'` : '',
  ].filter(Boolean).join(' ');
  const key = g.style === 'hostdev' ? `pci='${g.pci}'` : `interface-mac='${g.mac}'`;
  const metadata = settings ? `  <metadata>\n    <sriov:vfs xmlns:sriov='${SRIOV_NS}'>\n      <sriov:vf ${key} ${settings}/>\n    </sriov:vfs>\n  </metadata>\n` : '';
  const device = g.style === 'hostdev'
    ? `    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source><address ${pciAttributes(g.pci)}/></source>\n    </hostdev>\n`
    : `    <interface type='hostdev' managed='yes'>\n      <mac address='${g.mac}'/>\n      <source><address type='pci' ${pciAttributes(g.pci)}/></source>\n${g.vlan ? `      <vlan><tag id='${g.vlan}'/></vlan>\n` : ''}    </interface>\n`;
  return `<domain type='kvm'>\n  <name>${g.name}</name>\n  <uuid>${g.uuid}</uuid>\n${metadata}  <memory unit='MiB'>64</memory>\n  <vcpu>1</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices>\n${device}  </devices>\n</domain>\n`;
}

/** A plain hostdev domain on `pci`, no settings. */
export function domainWithVf(name: string, pci: string): string {
  return guestXml({ name, uuid: uuidOf(0xfff), pf: '?', vf: 0, pci, style: 'hostdev' });
}

/** libvirt's side of a guest's VF, for one run of a fake libvirt. */
export class FakeLibvirt {
  /** What libvirt saved of each VF before setting MAC/VLAN (/run/libvirt/hostdevmgr). */
  private readonly saved = new Map<string, Pick<FakeVfState, 'mac' | 'vlan'>>();
  readonly calls: { guest: string; op: string; result: HookResult }[] = [];

  constructor(readonly bench: HookBench, readonly watched: Watched = watch(bench.host)) {}

  async hook(g: Guest, op: string, hook: HookName = 'qemu'): Promise<HookResult> {
    const r = await runWatched(this.bench, this.watched, hook, [g.name, op, op === 'stopped' || op === 'release' ? 'end' : 'begin', '-'], guestXml(g));
    this.calls.push({ guest: g.name, op, result: r });
    return r;
  }

  /** `virsh start`: true when the guest runs. */
  async start(g: Guest): Promise<boolean> {
    const host = this.bench.host;
    if ((await this.hook(g, 'prepare')).exitCode !== 0) return false;
    host.bindVf(g.pf, g.vf, 'vfio-pci');
    if (g.style === 'interface') {
      const v = host.vf(g.pf, g.vf);
      this.saved.set(g.pci, { mac: v.mac, vlan: v.vlan });
      host.setVf(g.pf, g.vf, { mac: g.mac!, vlan: g.vlan ?? 0, qos: 0 });
    }
    if ((await this.hook(g, 'start')).exitCode !== 0) {
      await this.afterQemu(g);
      return false;
    }
    return true;
  }

  /** `virsh destroy`, or QEMU exiting. */
  async stop(g: Guest): Promise<void> {
    await this.afterQemu(g);
  }

  /**
   * Like stop, but the `release` hook comes later (returned to call when wanted): libvirt runs
   * other guests' hooks in between, so a VF can go to another guest before release runs.
   */
  async stopReleasingLater(g: Guest): Promise<() => Promise<HookResult>> {
    await this.afterQemu(g, false);
    return () => this.hook(g, 'release');
  }

  /** libvirt restarting while `g` runs: `reconnect begin`. */
  async reconnect(g: Guest): Promise<HookResult> {
    return this.hook(g, 'reconnect');
  }

  private async afterQemu(g: Guest, release = true): Promise<void> {
    const host = this.bench.host;
    await this.hook(g, 'stopped');
    const saved = this.saved.get(g.pci);
    if (saved) {
      host.setVf(g.pf, g.vf, { ...saved, qos: 0 });
      this.saved.delete(g.pci);
    }
    host.bindVf(g.pf, g.vf, host.load().pfs[g.pf]!.spec.vfDriver);
    if (release) await this.hook(g, 'release');
  }
}

/** tenant-a started the way libvirt starts it; throws if it does not run. */
export async function startTenant(bench: HookBench): Promise<void> {
  if (!(await new FakeLibvirt(bench).start(TENANT))) throw new Error(`tenant-a did not start: ${bench.lastLog().error}`);
  const v = bench.host.vf(TENANT.pf, TENANT.vf);
  if (v.vlan !== TENANT.vlan || !v.trust || v.mac !== TENANT.mac) throw new Error(`tenant-a's VF is not as asked: ${JSON.stringify(v)}`);
}
