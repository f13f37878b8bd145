/**
 * `virt-sriov migrate`'s shell: carries out a plan (plan.ts) through libvirt. Runs on the source
 * host. Each NIC that is not a failover pair is unplugged live (its VF put back as it was and
 * freed), the guest migrated (virDomainMigrate2), and a free VF on the destination plugged in.
 *
 * How the destination's VF gets its settings before the guest sees it: the XML sent with the
 * migration names it. Its virt-sriov metadata is keyed by the destination's VFs, and each pinned
 * NIC to be plugged in there rides along as it will be plugged in (<sriov:arriving>,
 * xml/metadata.ts); the destination's own `prepare` hook readies those VFs in its own state
 * before QEMU runs there (hooks/qemu/arriving.ts: claimed, every setting on, read back), as it
 * readies a failover pair's VF that the XML names. A network-style NIC's VF is set by the
 * destination's network hook (port-created) as libvirt plugs it in. This process never touches
 * the destination's VFs or state, so a destination that shares this machine's kernel (a second
 * libvirtd with its own /run) keeps its own records, and the source's keep none of its VFs.
 * Any failure before the guest runs on the destination plugs every unplugged NIC back in on the
 * source, its VF readied again, and resumes a guest left paused; the destination's `release`
 * hook puts back what its `prepare` readied.
 */
import { OperationError } from '../errors.js';
import { releaseVf, readyVf, settleVf, undoVf } from '../live/live-vf.js';
import { editLiveMetadata } from '../live/live-metadata.js';
import { unplugAndWait } from '../live/unplug.js';
import { DomainState, migrateDomain, type LibvirtConnection } from '../libvirt/index.js';
import { formatPciAddress, parsePciAddress, pciAddressAttributes, samePciAddress } from '../model/pci-address.js';
import { resolveVf } from '../host/vf-locate.js';
import type { HookEnv } from '../hooks/hook-env.js';
import type { Owner } from '../state/vf-record.js';
import { child, childElements } from '../xml/dom.js';
import { removeElement } from '../xml/edit.js';
import { serializeElement } from '../xml/serialize.js';
import type { XmlElement } from '../xml/dom.js';
import { DomainXml, type SriovDevice } from '../xml/domain.js';
import type { MigrationPlan, NicMove } from './plan.js';

export interface MoveSide {
  readonly conn: LibvirtConnection;
  /** The host's sysfs and state are this process's (the source's VFs can be put back). */
  readonly env: HookEnv | null;
}

export interface MoveOptions {
  readonly flags: number;
  readonly migrateUri?: string;
  readonly timeoutS?: number;
  /** How long a guest OS has to acknowledge each unplug. */
  readonly unplugWaitS: number;
  readonly persistent: boolean;
  /** The running guest's XML with what its VFs carry here written in (held-settings.ts). */
  readonly carry?: (xml: string) => string;
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

export async function carryOut(plan: MigrationPlan, nics: readonly PlannedNic[], owner: Owner, source: MoveSide, dest: Pick<MoveSide, 'conn'>, o: MoveOptions): Promise<MoveReport> {
  const notes: string[] = [];
  const unplugged: { nic: PlannedNic; at: number }[] = [];
  const domains = source.conn.domains;
  const name = plan.domain;

  const rollback = async (why: unknown): Promise<never> => {
    const back: string[] = [];
    for (const { nic } of [...unplugged].reverse()) {
      try {
        await plugIn(source, owner, nic, serializeElement(deviceOn(nic.device, null)), nic.device.fields.vf ? formatPciAddress(nic.device.fields.vf) : null);
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

  // 2. migrate; the destination XML names the VFs chosen there: a failover VF's device points at
  // it, an unplugged NIC's arrives on it, settings keyed by the old address follow
  const pinned = nics.filter((n) => n.move.to === 'vf');
  const arriving = unplugged.map((u) => u.nic).filter((n) => n.move.to === 'vf');
  const migratable = () => domains.xml(name, { migratable: true });
  let destXml: string | undefined;
  // virsh's --timeout: a live migration not done in time is finished with the guest suspended;
  // it runs again on the destination once its VFs are in (libvirt keeps it paused there when the
  // suspend came before its Perform phase)
  let suspended = false;
  const timer = o.timeoutS ? setTimeout(() => {
    try {
      domains.suspend(name);
      suspended = true;
    } catch {
      // it finished meanwhile
    }
  }, o.timeoutS * 1000) : undefined;
  const started = Date.now();
  try {
    // in the try: what fails here still puts the unplugged NICs back
    destXml = pinned.length ? destinationXml(o.carry ? o.carry(migratable()) : migratable(), name, pinned, arriving) : undefined;
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
  // (its VF readied by the destination's prepare hook; a network-style NIC's by its port-created)
  const notPlugged: XmlElement[] = [];
  for (const { nic, at } of unplugged) {
    const vf = nic.move.to === 'vf' ? nic.move.vf : null;
    const device = deviceOn(nic.device, vf);
    const xml = serializeElement(device);
    try {
      dest.conn.domains.attachDevice(name, xml, { live: true, config: false });
      withoutVf.push({ label: nic.device.label, ms: Date.now() - at });
    } catch (e) {
      if (vf) notPlugged.push(device);
      notes.push(`${nic.device.label}: the guest runs on ${plan.dest} without it: ${(e as Error).message}`
        + (vf ? ` (VF ${vf} there is set up and kept for it: virsh -c ${dest.conn.uri} attach-device ${name} FILE --live, FILE holding ${xml})`
          : ` (virt-sriov attach ${name} -c ${dest.conn.uri} ... --live plugs one in there)`));
    }
  }
  if (arriving.length) {
    try {
      forgetArriving(dest.conn, name, notPlugged);
    } catch (e) {
      notes.push(`the guest's live XML on ${plan.dest} still lists the NICs to plug in after the migration (${(e as Error).message}); harmless`);
    }
  }
  if (suspended) {
    let resumed = false;
    try {
      if (dest.conn.domains.state(name) === DomainState.PAUSED) dest.conn.domains.resume(name);
      resumed = true;
    } catch (e) {
      notes.push(`could not resume it on ${plan.dest} (${(e as Error).message}): virsh -c ${dest.conn.uri} resume ${name}`);
    }
    notes.push(`not done after ${o.timeoutS} s: the guest was suspended so the migration completes (virsh's --timeout)${resumed ? `, and runs again on ${plan.dest}` : ''}`);
  }
  if (o.persistent) {
    const moved = nics.filter((n) => n.move.to === 'vf');
    if (moved.length) {
      try {
        dest.conn.domains.define(destinationXml(dest.conn.domains.xml(name, { inactive: true }), name, moved, []));
      } catch (e) {
        notes.push(`the definition on ${plan.dest} still names the source's VFs (${(e as Error).message}): redefine it there`);
      }
    }
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

/** Ready the VF (on this host), then libvirt's hot-plug; a refusal puts the VF back. */
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
function deviceOn(device: SriovDevice, vf: string | null): XmlElement {
  const text = serializeElement(device.element);
  const doc = DomainXml.parse(`<domain><name>x</name><devices>${text}</devices></domain>`, 'device');
  const el = childElements(child(doc.root, 'devices')!)[0]!;
  const alias = child(el, 'alias');
  if (alias && !alias.getAttribute('name')?.startsWith('ua-')) removeElement(alias);
  const address = child(el, 'source', 'address');
  if (vf && address) for (const [k, v] of Object.entries(pciAddressAttributes(parsePciAddress(vf)))) address.setAttribute(k, v);
  return el;
}

/**
 * The domain XML for the destination: each pinned NIC's device (where the XML has it) on its
 * destination VF, settings keyed by the old address following; `arriving`, the NICs unplugged
 * here, listed as they will be plugged in there (none: no such list, as in a definition). Pure.
 */
export function destinationXml(text: string, name: string, nics: readonly PlannedNic[], arriving: readonly PlannedNic[]): string {
  const domain = DomainXml.parse(text, `domain ${name}`);
  const sources = domain.pciSources();
  const moving = nics.flatMap((nic) => (nic.move.to === 'vf' && nic.device.fields.vf ? [{ nic, from: nic.device.fields.vf, to: parsePciAddress(nic.move.vf) }] : []));
  // every entry read before any is re-keyed: one NIC's new VF may be another's old one. A NIC
  // unplugged here is no longer in the XML read now, nor is its entry if it was plugged in live:
  // its entry is the one the running guest had at the plan, with what its VF carries
  // (held-settings.ts). A definition keeps its own.
  const entries = moving.map(({ nic, from }) => domain.metadata.find({ pci: from }) ?? (arriving.includes(nic) ? nic.device.entry : undefined));
  // then all go, with any left for a destination VF (an orphan there would be a second entry for it)
  for (const [i, { to }] of moving.entries()) {
    const entry = entries[i];
    if (entry) domain.metadata.put(entry.key, {});
    domain.metadata.put({ pci: to }, {});
  }
  for (const [i, { from, to }] of moving.entries()) {
    const source = sources.find((s) => samePciAddress(s.address, from));
    const address = source && child(source.element, 'source', 'address');
    if (address) for (const [k, v] of Object.entries(pciAddressAttributes(to))) address.setAttribute(k, v);
    const entry = entries[i];
    if (entry) domain.metadata.put('pci' in entry.key ? { pci: to } : entry.key, entry.settings, undefined, entry.kept);
  }
  domain.metadata.setArriving(arriving.flatMap(({ move, device }) => (move.to === 'vf' ? [deviceOn(device, move.vf)] : [])));
  return domain.toString();
}

/**
 * The arriving NICs are in: the list goes from the running guest's metadata on the destination,
 * but for those not plugged in, whose VFs stay set up and the guest's there (the destination's
 * watcher leaves a VF alone while the list names it) until the admin plugs them in.
 */
export function forgetArriving(conn: LibvirtConnection, name: string, notPlugged: readonly XmlElement[] = []): void {
  editLiveMetadata(conn, name, (metadata) => {
    if (metadata.arriving().length === notPlugged.length) return false;
    metadata.setArriving(notPlugged);
    return true;
  });
}
