import { Command, Option } from 'commander';
import { buildDevice, metadataKey, placeSettings, pluggedVlan } from '../../convert/convert.js';
import { describeStandby, freeStandbyAlias, parseStandbySource, standbySpec, transientTeaming, type StandbySource } from '../../convert/failover.js';
import { InputError, OperationError, UsageError } from '../../errors.js';
import { generateMac } from '../../model/mac.js';
import { parsePciAddress, type PciAddress } from '../../model/pci-address.js';
import { domainDefinitions } from '../../pool/domain-definitions.js';
import { withPoolLock } from '../../pool/pool-lock.js';
import { macsInUse } from '../../pool/vf-holders.js';
import { whyNoFailover, whyUnsupported } from '../../versions/style-rules.js';
import { child, childElements, type XmlElement } from '../../xml/dom.js';
import { build, childIndentOf, insertElement } from '../../xml/edit.js';
import { STYLES, describeStyle, parseStyle, type DeviceFields, type Style } from '../../xml/devices/device-fields.js';
import { DomainXml } from '../../xml/domain.js';
import type { CommandContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { connectedSupport, connectedVersions, hostdevNetwork } from '../libvirt-host.js';
import { vfSettingsFrom, withVfOptions, type VfOptionValues } from '../vf-options.js';
import { withFreeVfs } from '../vf-pick.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';
import { changeTarget, domainChange, waitsForRestart, withVirshFlags, type VirshFlagValues } from '../virsh-flags.js';
import { keepLiveMetadata, withLiveEnv } from '../live-change.js';
import { changeVf, readyVf, settleVf, undoVf } from '../../live/live-vf.js';
import { resolveVf } from '../../host/vf-locate.js';
import { withNetworkDefaults } from '../../plan/guest-vf.js';
import type { HookEnv } from '../../hooks/hook-env.js';
import { PLUG_TTL_MS } from '../../state/pending-plug.js';
import { findNic } from '../nic-pick.js';
import { describeVf } from '../../plan/vf-snapshot.js';
import { sameOwner, type Owner } from '../../state/vf-record.js';
import { isEmpty, type VfSettings } from '../../model/vf-settings.js';
import { serializeElement } from '../../xml/serialize.js';
import { describeKey, type MetadataKey } from '../../xml/metadata.js';
import { formatVersion } from '../../versions/version.js';

interface AttachOptions extends VfOptionValues, VirshFlagValues, PreviewOptions {
  pf?: string;
  network?: string;
  to?: string;
  failover?: string;
}

export function attachCommand(io: CliIo): Command {
  const cmd = withCommonOptions(new Command('attach'), { virshConfig: true })
    .description('Add an SR-IOV NIC to a defined domain: a free VF of a PF, or a place on a hostdev network')
    .argument('<domain>', 'the domain')
    .option('--pf <iface>', 'take a free VF of this PF')
    .option('--network <name>', 'use this hostdev network (a pool of VFs)')
    .addOption(new Option('--to <style>', 'the style (default: the best the host runs)').choices([...STYLES]))
    .option('--failover <network>', 'pair the VF with a virtio-net standby on this libvirt network (bridge:NAME for a host bridge), '
      + 'a <teaming> failover pair that plain `virsh migrate --live` moves (libvirt >= 6.1, qemu >= 4.2)');
  return withPreviewOptions(withVirshFlags(withVfOptions(cmd)), 'domain')
    .addHelpText('after', '\nA running guest gets the NIC now (--live, the default for a running domain): every setting is on the VF\n'
      + 'before the guest sees it, and a failure leaves the VF as it was. A domain that is not running gets it in its\n'
      + 'definition (--config), from the next start.')
    .action(domainChange(io, attach));
}

async function attach(ctx: CommandContext, name: string, o: AttachOptions): Promise<void> {
  if (!!o.pf === !!o.network) throw new UsageError('give either --pf IFACE or --network NAME', 'see virt-sriov attach --help');
  const settings = vfSettingsFrom(o, `domain ${name}, new SR-IOV NIC`);
  const conn = ctx.libvirt;
  const summary = conn.domains.lookup(name);
  if (!summary) throw new OperationError(`domain ${name} is not defined on ${conn.uri}`, '`virsh list --all` shows the defined domains');
  const target = changeTarget(o, name, summary.active);
  const versions = connectedVersions(conn);
  const { supported, vlanInXml } = connectedSupport(versions);
  const bestPinned: Style = supported.includes('interface') ? 'interface' : 'hostdev';
  const style = o.to ? parseStyle(o.to) : o.network && supported.includes('network') ? 'network' : bestPinned;
  const why = whyUnsupported(style, versions.libvirt, versions.qemu ?? versions.libvirt);
  if (o.to && why) throw new InputError(`--to ${style}: ${why}`, `use one of: ${supported.join(', ')}`);
  const standby = o.failover !== undefined ? parseStandbySource(o.failover) : undefined;
  const noFailover = standby && whyNoFailover(versions.libvirt, versions.qemu ?? versions.libvirt);
  if (noFailover) throw new InputError(`--failover: ${conn.uri} can't run it: ${noFailover}`, 'leave out --failover');
  let pf = o.pf;
  if (o.network) {
    const net = hostdevNetwork(conn, o.network);
    if (!net?.hostdev) {
      throw new InputError(`network ${o.network} is ${net ? 'not a hostdev network (<forward mode=\'hostdev\'>)' : `not defined on ${conn.uri}`}`,
        'create one with virt-sriov network --name NAME --pf IFACE --define');
    }
    if (style !== 'network') {
      if (!net.pf) throw new OperationError(`network ${o.network} names no PF to take a VF from`, 'use --pf IFACE instead');
      pf = net.pf;
    }
  }

  // under the pool lock even without a VF to pick: reading, changing and defining the domain
  // must not interleave with another attach or detach of it, or one of the two changes is lost
  const locked = (f: (vfs: string[]) => Promise<void>) => (pf ? withFreeVfs(ctx, [pf], f) : withPoolLock(ctx.config.stateDir, () => f([])));
  await locked(async ([vf]) => {
    const definitions = domainDefinitions(conn);
    const macs = macsInUse(definitions);
    if (settings.mac && macs.has(settings.mac)) {
      const owner = definitions.find((d) => macsInUse([d]).has(settings.mac!))?.name;
      throw new InputError(`MAC ${settings.mac} is already used by domain ${owner}`, 'give another MAC, or leave --mac out for a generated one');
    }
    const mac = settings.mac ?? generateMac(macs);
    const placed = placeSettings(style, { ...settings, mac }, vlanInXml);
    const address = vf ? parsePciAddress(vf) : undefined;
    const fields: DeviceFields = {
      vf: address, network: style === 'network' ? o.network : undefined, mac: placed.mac, vlan: placed.vlan,
      attributes: style === 'network' ? {} : { managed: 'yes' } as Record<string, string>, sourceAttributes: {}, children: [],
    };
    const key = metadataKey(style, placed.mac, address);
    const what = `${describeStyle(style)}${vf ? ` on VF ${vf} (${pf})` : ` on network ${o.network}`}, MAC ${mac}${settings.vlan ? `, VLAN ${settings.vlan.id}` : ''}`
      + (standby ? `, in a failover pair with a virtio-net standby on ${describeStandby(standby)}` : '');
    const better = style === bestPinned || style === 'network' ? '' : ` (libvirt ${formatVersion(versions.libvirt)} could run ${supported[0]})`;

    const configXml = target.config ? conn.domains.xml(name, { inactive: true }) : undefined;
    const liveXml = target.live ? conn.domains.xml(name) : undefined;
    // one alias for the standby in both definitions, taken by neither
    const pair = standby && {
      source: standby, mac,
      alias: freeStandbyAlias([configXml, liveXml].flatMap((x) => (x ? [DomainXml.parse(x, `domain ${name}`).root] : []))),
    };
    const definition = configXml ? withDevice(configXml, name, style, fields, key, placed.rest, pair) : undefined;
    // never untagged in the guest, even for a moment: settleVf puts a VLAN's priority on after
    const liveVlan = pluggedVlan(style, placed, settings, vlanInXml);
    const live = liveXml ? withDevice(liveXml, name, style, { ...fields, vlan: liveVlan }, key, placed.rest, pair) : undefined;
    const done = [live ? 'the running guest has it now' : '', definition ? 'it is there from the next start' : ''].filter(Boolean).join('; ');
    await applyOrPreview(ctx, o, {
      xml: definition?.xml ?? live?.xml,
      summary: `domain ${name}: added ${what}; ${done}${waitsForRestart(name, target, summary.active)}${better}`,
      apply: async () => {
        const label = key ? describeKey(key) : what;
        if (live && style === 'network') await plugInNetwork(ctx, { name, uuid: summary.uuid }, live, { label, network: o.network!, settings: { ...settings, mac } });
        else if (live) await plugIn(ctx, { name, uuid: summary.uuid }, live, { label, style, vf: vf!, settings: { ...settings, mac } });
        if (live && !isEmpty(placed.rest)) keepInLiveXml(ctx, name, label, key, placed.rest, address);
        if (definition) conn.domains.define(definition.xml);
      },
    });
  });
}

interface StandbyPair {
  readonly source: StandbySource;
  readonly mac: string;
  readonly alias: string;
}

interface WithDevice {
  readonly xml: string;
  /** The device alone, and its failover standby (to be plugged in first). */
  readonly device: string;
  readonly standby?: string;
}

/** The domain XML with the device added (next to its other NICs) and its settings in metadata; and the device alone. */
function withDevice(text: string, name: string, style: Style, fields: DeviceFields, key: MetadataKey, rest: VfSettings, pair?: StandbyPair): WithDevice {
  const domain = DomainXml.parse(text, `domain ${name}`);
  const devices = child(domain.root, 'devices');
  if (!devices) throw new OperationError(`domain ${name} has no <devices>`, 'check the domain XML (virsh dumpxml)');
  const doc = domain.root.ownerDocument;
  const teamed = pair ? { ...fields, children: [...fields.children, transientTeaming(doc, pair.alias)] } : fields;
  const el = buildDevice(doc, style, teamed, childIndentOf(devices));
  // next to the domain's other NICs and host devices, else before the devices that end the list
  const siblings = childElements(devices);
  const lastNic = siblings.filter((e) => e.localName === 'interface' || e.localName === 'hostdev').pop();
  const ref = lastNic ? nextElement(siblings, lastNic) : siblings.find((e) => ['memballoon', 'rng', 'panic', 'watchdog'].includes(e.localName)) ?? null;
  insertElement(devices, el, ref);
  const standby = pair && build(doc, standbySpec(pair.source, pair.mac, pair.alias), childIndentOf(devices));
  if (standby) insertElement(devices, standby, el);
  domain.metadata.put(key, rest);
  return { xml: domain.toString(), device: serializeElement(el), standby: standby && serializeElement(standby) };
}

/**
 * The NIC's settings its XML can't hold, in the running guest's metadata too (live-metadata.ts),
 * where a started guest has them from its definition. The VF has them already: a failure is a note.
 */
function keepInLiveXml(ctx: CommandContext, name: string, label: string, key: MetadataKey, rest: VfSettings, vf: PciAddress | undefined): void {
  keepLiveMetadata(ctx, name, (metadata) => {
    // one left by an earlier NIC on this VF would be a second entry for this one
    if (vf) metadata.put({ pci: vf }, {});
    metadata.put(key, rest);
    return true;
  }, `${label} has its settings on its VF, but the running guest's XML does not list them; a plain \`virsh migrate\` of it would not carry them (virt-sriov migrate does)`);
}

/**
 * Hot-plug a VF into the running guest: ready the VF (claimed, every setting on it, checked),
 * then libvirt's attach; a refusal puts the VF back exactly as it was.
 */
async function plugIn(ctx: CommandContext, owner: Owner, live: WithDevice, t: { label: string; style: Style; vf: string; settings: VfSettings }): Promise<void> {
  await withLiveEnv(ctx, 'attach', owner.name, async (env) => {
    const vf = resolveVf(env, parsePciAddress(t.vf));
    if (!vf) throw new OperationError(`VF ${t.vf} is not on this host`, '`virt-sriov status` lists the VFs');
    const record = await readyVf(env, { owner, label: t.label, vf, style: t.style, network: null, settings: t.settings });
    await attachLive(ctx, owner, live, async () => {
      await undoVf(env, record);
      return `${describeVf(vf)} was put back as it was`;
    });
    await settleVf(env, record);
  });
}

/**
 * Hot-plug a network-style NIC: libvirt's pool picks the VF, and runs the network hook's
 * `port-created` before it readies the device. So the NIC's settings are left for the hook
 * (state/pending-plug.ts), which puts them on the VF it claims; once libvirt has plugged it in,
 * what libvirt left different (MAC, VLAN) is put right as for a pinned VF. A refusal: libvirt
 * releases the port (`port-deleted` puts the VF back and frees it); what is still claimed is put
 * back here. Whatever happens, the announcement goes.
 */
async function plugInNetwork(ctx: CommandContext, owner: Owner, live: WithDevice, t: { label: string; network: string; settings: VfSettings & { mac: string } }): Promise<void> {
  await withLiveEnv(ctx, 'attach', owner.name, async (env) => {
    const { plugs } = env.state;
    const mac = t.settings.mac;
    plugs.put({ owner, mac, network: t.network, label: t.label, settings: t.settings, expires: new Date(Date.now() + PLUG_TTL_MS).toISOString() });
    try {
      await attachLive(ctx, owner, live, async () => {
        const pci = plugs.find(owner, mac)?.vf;
        if (!pci) return `no VF was changed (libvirt stopped before its pool gave one, or virt-sriov's network hook refused it and put it back)`;
        const record = env.state.get(pci);
        const vf = resolveVf(env, parsePciAddress(pci));
        const what = vf ? describeVf(vf) : `VF ${pci}`;
        if (!record || !sameOwner(record.owner, owner)) return `${what}, which libvirt's pool had picked, was put back as it was`;
        env.report.vfs.add(what);
        await undoVf(env, record);
        return `${what}, which libvirt's pool had picked, was put back as it was`;
      });
      const pci = plugs.find(owner, mac)?.vf;
      const record = pci ? env.state.get(pci) : null;
      if (record && sameOwner(record.owner, owner)) {
        env.report.vfs.add(describeVf(record));
        await settleVf(env, record);
        return;
      }
      await settleUnannounced(ctx, env, owner, t);
    } finally {
      plugs.remove(owner, mac);
    }
  });
}

/**
 * The network hook did not take the announcement (not installed, or libvirt started before it
 * was): the VF reached the guest with libvirt's MAC and VLAN only. Its other settings go on now,
 * late, and the admin is told why.
 */
async function settleUnannounced(ctx: CommandContext, env: HookEnv, owner: Owner, t: { label: string; network: string; settings: VfSettings & { mac: string } }): Promise<void> {
  const nic = findNic(ctx, owner.name, ctx.libvirt.domains.xml(owner.name), { mac: t.settings.mac }, ' (running)').device;
  const vf = nic?.fields.vf ? resolveVf(env, nic.fields.vf) : null;
  if (!vf) {
    throw new OperationError(`domain ${owner.name}: ${t.label} is in the running guest, but virt-sriov can't tell which VF of network ${t.network} it has`,
      '`virsh dumpxml` shows its <source><address>; `virt-sriov set --live` puts its settings on');
  }
  await changeVf(env, owner, t.label, vf, withNetworkDefaults(env.config.networks, { network: t.network }, t.settings));
  env.report.note(`${describeVf(vf)}: virt-sriov's network hook did not claim it as libvirt plugged it in, so its settings went on only after the guest had it; `
    + 'check that the hook is installed (virt-sriov doctor) and that libvirtd was restarted since (libvirt looks for hooks at its start)');
}

/**
 * libvirt's attach of the device, its failover standby first (the VF's <teaming> names the
 * standby: QEMU pairs them by id). A refusal: `undo` puts the VF back and says so, the standby is
 * asked out again, and the error says all of it.
 */
async function attachLive(ctx: CommandContext, owner: Owner, live: WithDevice, undo: () => Promise<string>): Promise<void> {
  const domains = ctx.libvirt.domains;
  let standbyIn = false;
  try {
    if (live.standby) {
      domains.attachDevice(owner.name, live.standby, { live: true, config: false });
      standbyIn = true;
    }
    domains.attachDevice(owner.name, live.device, { live: true, config: false });
  } catch (e) {
    const putBack = await undo();
    const err = e as OperationError;
    let standbyNote = '';
    if (standbyIn) {
      try {
        domains.detachDevice(owner.name, live.standby!, { live: true, config: false });
        standbyNote = '; its standby was asked out of the guest (the guest OS acknowledges the unplug)';
      } catch (d) {
        standbyNote = `; its standby stays in the guest (${(d as Error).message}): virsh detach-device ${owner.name} with its XML removes it`;
      }
    }
    throw new OperationError(`${err.message}. ${putBack}${standbyNote}`, err.fix);
  }
}

function nextElement(siblings: readonly XmlElement[], el: XmlElement): XmlElement | null {
  return siblings[siblings.indexOf(el) + 1] ?? null;
}
