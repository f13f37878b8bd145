/**
 * `virt-sriov migrate`'s shell: carries out a plan (plan.ts) through libvirt. Runs on the source
 * host. Each NIC that is not a failover pair is unplugged live (its VF put back as it was and
 * freed), the guest migrated (virDomainMigrate2), and a free VF on the destination plugged in.
 * How the destination's VF gets its settings before the guest sees it:
 *  - a destination on this machine (a second libvirtd on the same kernel): virt-sriov readies it
 *    itself, as `attach --live` does (every setting on the VF, read back, then libvirt's attach);
 *  - a remote destination: libvirt sets MAC and VLAN as it plugs an <interface type='hostdev'>
 *    in, the destination's network hook sets every setting of a network-style NIC's VF
 *    (port-created) before QEMU gets it, and the destination's watcher (virt-sriov watch) puts
 *    the rest (trust, spoofchk, rates, link state, query_rss) on from the domain's metadata.
 * Any failure before the guest runs on the destination plugs every unplugged NIC back in on the
 * source, its VF readied again, and resumes a guest left paused.
 */
import { OperationError } from '../errors.js';
import { releaseVf, readyVf, settleVf, undoVf } from '../live/live-vf.js';
import { unplugAndWait } from '../live/unplug.js';
import { DomainState, migrateDomain, type LibvirtConnection } from '../libvirt/index.js';
import { formatPciAddress, parsePciAddress, pciAddressAttributes } from '../model/pci-address.js';
import { resolveVf } from '../host/vf-locate.js';
import type { HookEnv } from '../hooks/hook-env.js';
import type { Owner } from '../state/vf-record.js';
import { child, childElements } from '../xml/dom.js';
import { removeElement } from '../xml/edit.js';
import { serializeElement } from '../xml/serialize.js';
import { DomainXml, type SriovDevice } from '../xml/domain.js';
import type { MigrationPlan, NicMove } from './plan.js';

export interface MoveSide {
  readonly conn: LibvirtConnection;
  /** The host's sysfs and state are this process's (the VFs can be readied here). */
  readonly env: HookEnv | null;
}

export interface MoveOptions {
  readonly flags: number;
  readonly migrateUri?: string;
  readonly timeoutS?: number;
  /** How long a guest OS has to acknowledge each unplug. */
  readonly unplugWaitS: number;
  readonly persistent: boolean;
}

export interface MoveReport {
  /** Per unplugged NIC: how long the guest ran without it (unplug acknowledged to plugged in on the destination). */
  readonly withoutVf: { readonly label: string; readonly ms: number }[];
  readonly migrateMs: number;
  readonly notes: string[];
}

/** A NIC of the plan with its device as the running guest has it. */
export interface PlannedNic {
  readonly move: NicMove;
  readonly device: SriovDevice;
}

export async function carryOut(plan: MigrationPlan, nics: readonly PlannedNic[], owner: Owner, source: MoveSide, dest: MoveSide, o: MoveOptions): Promise<MoveReport> {
  const notes: string[] = [];
  const unplugged: { nic: PlannedNic; at: number }[] = [];
  const domains = source.conn.domains;
  const name = plan.domain;

  const rollback = async (why: unknown): Promise<never> => {
    const back: string[] = [];
    for (const { nic } of [...unplugged].reverse()) {
      try {
        await plugIn(source, owner, nic, deviceXml(nic.device, null), nic.device.fields.vf ? formatPciAddress(nic.device.fields.vf) : null);
        back.push(`${nic.device.label} plugged back in`);
      } catch (e) {
        back.push(`${nic.device.label} NOT plugged back in (${(e as Error).message}): virt-sriov attach ${name} ... --live puts one in`);
      }
    }
    try {
      if (domains.lookup(name)?.active && domains.state(name) === DomainState.PAUSED) {
        domains.resume(name);
        back.push('the guest resumed');
      }
    } catch (e) {
      back.push(`the guest could not be resumed (${(e as Error).message}): virsh resume ${name}`);
    }
    const err = why as OperationError;
    throw new OperationError(`migrate ${name}: ${err.message}. The guest stays on ${plan.source}${back.length ? `: ${back.join('; ')}` : ''}`,
      err.fix ?? 'see the message; nothing changed on the destination');
  };

  // 1. unplug the NICs virt-sriov moves itself (a failover VF libvirt unplugs)
  for (const nic of nics.filter((n) => n.move.unplug)) {
    try {
      await unplug(source, owner, nic, o.unplugWaitS);
      unplugged.push({ nic, at: Date.now() });
    } catch (e) {
      await rollback(e);
    }
  }

  // 2. migrate; a failover VF goes in the destination XML as the VF chosen there
  const failover = nics.filter((n) => !n.move.unplug && n.move.to === 'vf');
  const destXml = failover.length ? repointed(domains.xml(name, { migratable: true }), name, failover) : undefined;
  const timer = o.timeoutS ? setTimeout(() => {
    try {
      domains.suspend(name);
      notes.push(`not done after ${o.timeoutS} s: the guest was suspended so the migration completes (virsh's --timeout)`);
    } catch {
      // it finished meanwhile
    }
  }, o.timeoutS * 1000) : undefined;
  const started = Date.now();
  try {
    // libvirt's event loop turns meanwhile, as virsh's does: keepalives answered, the timer run
    let done = false;
    const moving = migrateDomain(source.conn, name, dest.conn, { flags: o.flags, destXml, migrateUri: o.migrateUri }).finally(() => (done = true));
    moving.catch(() => undefined);
    while (!done) await source.conn.events.run(1000, () => done);
    await moving;
  } catch (e) {
    await rollback(e);
  } finally {
    if (timer) clearTimeout(timer);
  }
  const migrateMs = Date.now() - started;

  // 3. the guest runs on the destination: plug the VFs in there
  const withoutVf: MoveReport['withoutVf'] = [];
  for (const { nic, at } of unplugged) {
    const vf = nic.move.to === 'vf' ? nic.move.vf : null;
    try {
      await plugIn(dest, owner, nic, deviceXml(nic.device, vf), vf);
      withoutVf.push({ label: nic.device.label, ms: Date.now() - at });
    } catch (e) {
      notes.push(`${nic.device.label}: the guest runs on ${plan.dest} without it: ${(e as Error).message}`
        + ` (virt-sriov attach ${name} -c ${dest.conn.uri} ... --live plugs one in there)`);
    }
  }
  if (o.persistent) {
    const moved = nics.filter((n) => n.move.to === 'vf');
    if (moved.length) {
      try {
        dest.conn.domains.define(repointed(dest.conn.domains.xml(name, { inactive: true }), name, moved));
      } catch (e) {
        notes.push(`the definition on ${plan.dest} still names the source's VFs (${(e as Error).message}): redefine it there`);
      }
    }
  }
  if (!dest.env && unplugged.some((u) => hasSettingsBeyondXml(u.nic.device))) {
    notes.push(`settings beyond MAC and VLAN (trust, spoofchk, rates, link state, query_rss) reach the destination's VFs through its watcher (virt-sriov watch there), from the domain's metadata`);
  }
  return { withoutVf, migrateMs, notes };
}

async function unplug(side: MoveSide, owner: Owner, nic: PlannedNic, waitS: number): Promise<void> {
  const conn = side.conn;
  const alias = child(nic.device.element, 'alias')?.getAttribute('name') ?? null;
  const outcome = await unplugAndWait({
    requestRemoval: (domain, xml) => conn.domains.detachDevice(domain, xml, { live: true, config: false }),
    onDevice: (h) => conn.events.onDevice(h),
    run: (ms, until) => conn.events.run(ms, until),
    stillHas: (domain, a) => conn.domains.xml(domain).includes(`<alias name='${a}'/>`),
  }, owner.name, alias, serializeElement(nic.device.element), waitS * 1000);
  if (outcome !== 'removed') {
    throw new OperationError(`the guest did not let ${nic.device.label} go (${outcome === 'refused' ? 'it refused the unplug' : `no acknowledgement in ${waitS} s`})`,
      'check that the guest OS handles PCI hot-unplug (ACPI), or pair its VFs with a virtio-net standby (virt-sriov convert --failover) and migrate with plain virsh');
  }
  const vf = nic.device.fields.vf;
  if (vf && side.env) await releaseVf(side.env, formatPciAddress(vf), owner);
}

/** Ready the VF (where virt-sriov can reach it), then libvirt's hot-plug; a refusal puts the VF back. */
async function plugIn(side: MoveSide, owner: Owner, nic: PlannedNic, xml: string, vf: string | null): Promise<void> {
  const domains = side.conn.domains;
  const ref = vf && side.env ? resolveVf(side.env, parsePciAddress(vf)) : null;
  if (!ref || !side.env) {
    domains.attachDevice(owner.name, xml, { live: true, config: false });
    return;
  }
  const record = await readyVf(side.env, { owner, label: nic.device.label, vf: ref, style: nic.device.style, network: null, settings: nic.device.settings });
  try {
    domains.attachDevice(owner.name, xml, { live: true, config: false });
  } catch (e) {
    await undoVf(side.env, record);
    throw e;
  }
  await settleVf(side.env, record);
}

/** The device as it was plugged in, on `vf` when given; libvirt's own alias dropped (it gives a new one). */
function deviceXml(device: SriovDevice, vf: string | null): string {
  const text = serializeElement(device.element);
  const doc = DomainXml.parse(`<domain><name>x</name><devices>${text}</devices></domain>`, 'device');
  const el = childElements(child(doc.root, 'devices')!)[0]!;
  const alias = child(el, 'alias');
  if (alias && !alias.getAttribute('name')?.startsWith('ua-')) removeElement(alias);
  const address = child(el, 'source', 'address');
  if (vf && address) for (const [k, v] of Object.entries(pciAddressAttributes(parsePciAddress(vf)))) address.setAttribute(k, v);
  return serializeElement(el);
}

/** The domain XML with each pinned NIC on its destination VF; settings keyed by the old address follow. */
function repointed(text: string, name: string, nics: readonly PlannedNic[]): string {
  const domain = DomainXml.parse(text, `domain ${name}`);
  const sources = domain.pciSources();
  for (const { move, device } of nics) {
    if (move.to !== 'vf' || !device.fields.vf) continue;
    const from = formatPciAddress(device.fields.vf);
    const source = sources.find((s) => formatPciAddress(s.address) === from);
    const address = source && child(source.element, 'source', 'address');
    if (!address) continue;
    const to = parsePciAddress(move.vf);
    for (const [k, v] of Object.entries(pciAddressAttributes(to))) address.setAttribute(k, v);
    const entry = domain.metadata.find({ pci: device.fields.vf });
    if (entry) domain.metadata.put({ pci: to }, entry.settings, { pci: device.fields.vf });
  }
  return domain.toString();
}

function hasSettingsBeyondXml(d: SriovDevice): boolean {
  const s = d.settings;
  return [s.trust, s.spoofchk, s.linkState, s.minTxRate, s.maxTxRate, s.queryRss].some((x) => x !== undefined)
    || (d.style === 'hostdev' && (s.mac !== undefined || s.vlan !== undefined));
}
