import { Command, Option } from 'commander';
import { buildDevice, metadataKey, placeSettings } from '../../convert/convert.js';
import { InputError, OperationError, UsageError } from '../../errors.js';
import { generateMac } from '../../model/mac.js';
import { parsePciAddress } from '../../model/pci-address.js';
import { domainDefinitions, withPoolLock } from '../../pool/host-pool.js';
import { macsInUse } from '../../pool/vf-holders.js';
import { whyUnsupported } from '../../versions/style-rules.js';
import { child, childElements, childIndentOf, insertElement, type XmlElement } from '../../xml/dom.js';
import { STYLES, describeStyle, parseStyle, type DeviceFields, type Style } from '../../xml/devices/device-fields.js';
import { DomainXml } from '../../xml/domain.js';
import { withCommonOptions, withContext, type CommandContext } from '../context.js';
import type { CliIo } from '../io.js';
import { connectedSupport, connectedVersions, hostdevNetwork } from '../libvirt-host.js';
import { vfSettingsFrom, withVfOptions, type VfOptionValues } from '../vf-options.js';
import { withFreeVfs } from '../vf-pick.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';
import { changeTarget, checkVirshFlags, waitsForRestart, withVirshFlags, type VirshFlagValues } from '../virsh-flags.js';
import { withLiveEnv } from '../live-env.js';
import { readyVf, settleVf, undoVf } from '../../live/live-vf.js';
import { resolveVf } from '../../hooks/vf-host.js';
import { describeVf } from '../../plan/vf-snapshot.js';
import type { Owner } from '../../state/vf-record.js';
import type { VfSettings } from '../../model/vf-settings.js';
import { serializeElement } from '../../xml/document.js';
import { describeKey, type MetadataKey } from '../../xml/metadata.js';
import { formatVersion } from '../../versions/version.js';

interface AttachOptions extends VfOptionValues, VirshFlagValues, PreviewOptions {
  pf?: string;
  network?: string;
  to?: string;
}

export function attachCommand(io: CliIo): Command {
  const cmd = withCommonOptions(new Command('attach'), { virshConfig: true })
    .description('Add an SR-IOV NIC to a defined domain: a free VF of a PF, or a place on a hostdev network')
    .argument('<domain>', 'the domain')
    .option('--pf <iface>', 'take a free VF of this PF')
    .option('--network <name>', 'use this hostdev network (a pool of VFs)')
    .addOption(new Option('--to <style>', 'the style (default: the best the host runs)').choices([...STYLES]));
  return withPreviewOptions(withVirshFlags(withVfOptions(cmd)), 'domain')
    .addHelpText('after', '\nA running guest gets the NIC now (--live, the default for a running domain): every setting is on the VF\n'
      + 'before the guest sees it, and a failure leaves the VF as it was. A domain that is not running gets it in its\n'
      + 'definition (--config), from the next start.')
    .action(async function (this: Command, name: string, o: AttachOptions) {
      checkVirshFlags(this, o);
      await withContext(this, io, (ctx) => attach(ctx, name, o));
    });
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
  if (target.live && style === 'network') {
    throw new UsageError(`domain ${name}: a network-style NIC can't be hot-plugged by virt-sriov yet (libvirt's pool picks its VF, and its settings would reach the guest late)`,
      `give --to interface (a VF of the network's PF, pinned), or --config (from the next start)`);
  }

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
    const what = `${describeStyle(style)}${vf ? ` on VF ${vf} (${pf})` : ` on network ${o.network}`}, MAC ${mac}${settings.vlan ? `, VLAN ${settings.vlan.id}` : ''}`;
    const better = style === bestPinned || style === 'network' ? '' : ` (libvirt ${formatVersion(versions.libvirt)} could run ${supported[0]})`;

    const definition = target.config ? withDevice(conn.domains.xml(name, { inactive: true }), name, style, fields, key, placed.rest) : undefined;
    // libvirt sets an <interface>'s VLAN as it plugs it in, untagged (VLAN 0) when the XML has
    // none: a VLAN with a priority (kept in metadata) goes in the hot-plugged device's XML
    // without it, so the VF is never untagged in the guest; settleVf puts the priority back
    const liveVlan = placed.vlan ?? (style === 'interface' && vlanInXml && settings.vlan ? { id: settings.vlan.id } : undefined);
    const live = target.live ? withDevice(conn.domains.xml(name), name, style, { ...fields, vlan: liveVlan }, key, placed.rest) : undefined;
    const done = [live ? 'the running guest has it now' : '', definition ? 'it is there from the next start' : ''].filter(Boolean).join('; ');
    await applyOrPreview(ctx, o, {
      xml: definition?.xml ?? live?.xml,
      summary: `domain ${name}: added ${what}; ${done}${waitsForRestart(name, target, summary.active)}${better}`,
      apply: async () => {
        if (live) await plugIn(ctx, { name, uuid: summary.uuid }, live.device, { label: key ? describeKey(key) : what, style, vf: vf!, settings: { ...settings, mac } });
        if (definition) conn.domains.define(definition.xml);
      },
    });
  });
}

/** The domain XML with the device added (next to its other NICs) and its settings in metadata; and the device alone. */
function withDevice(text: string, name: string, style: Style, fields: DeviceFields, key: MetadataKey, rest: VfSettings): { xml: string; device: string } {
  const domain = DomainXml.parse(text, `domain ${name}`);
  const devices = child(domain.root, 'devices');
  if (!devices) throw new OperationError(`domain ${name} has no <devices>`, 'check the domain XML (virsh dumpxml)');
  const el = buildDevice(domain.root.ownerDocument, style, fields, childIndentOf(devices));
  // next to the domain's other NICs and host devices, else before the devices that end the list
  const siblings = childElements(devices);
  const lastNic = siblings.filter((e) => e.localName === 'interface' || e.localName === 'hostdev').pop();
  const ref = lastNic ? nextElement(siblings, lastNic) : siblings.find((e) => ['memballoon', 'rng', 'panic', 'watchdog'].includes(e.localName)) ?? null;
  insertElement(devices, el, ref);
  domain.metadata.put(key, rest);
  return { xml: domain.toString(), device: serializeElement(el) };
}

/**
 * Hot-plug a VF into the running guest: ready the VF (claimed, every setting on it, checked),
 * then libvirt's attach; a refusal puts the VF back exactly as it was.
 */
async function plugIn(ctx: CommandContext, owner: Owner, device: string, t: { label: string; style: Style; vf: string; settings: VfSettings }): Promise<void> {
  await withLiveEnv(ctx, 'attach', owner.name, async (env) => {
    const vf = resolveVf(env, parsePciAddress(t.vf));
    if (!vf) throw new OperationError(`VF ${t.vf} is not on this host`, '`virt-sriov status` lists the VFs');
    const record = await readyVf(env, { owner, label: t.label, vf, style: t.style, network: null, settings: t.settings });
    try {
      ctx.libvirt.domains.attachDevice(owner.name, device, { live: true, config: false });
    } catch (e) {
      await undoVf(env, record);
      const err = e as OperationError;
      throw new OperationError(`${err.message}. ${describeVf(vf)} was put back as it was`, err.fix);
    }
    await settleVf(env, record);
  });
}

function nextElement(siblings: readonly XmlElement[], el: XmlElement): XmlElement | null {
  return siblings[siblings.indexOf(el) + 1] ?? null;
}
