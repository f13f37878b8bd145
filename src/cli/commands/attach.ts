import { Command, Option } from 'commander';
import { buildDevice, metadataKey, placeSettings } from '../../convert/convert.js';
import { InputError, OperationError, UsageError } from '../../errors.js';
import { generateMac } from '../../model/mac.js';
import { parsePciAddress } from '../../model/pci-address.js';
import { domainDefinitions, withPoolLock } from '../../pool/host-pool.js';
import { macsInUse } from '../../pool/vf-holders.js';
import { whyUnsupported } from '../../versions/style-rules.js';
import { child, childElements, childIndentOf, insertElement, type XmlElement } from '../../xml/dom.js';
import { STYLES, describeStyle, parseStyle, type Style } from '../../xml/devices/device-fields.js';
import { DomainXml } from '../../xml/domain.js';
import { withCommonOptions, withContext, type CommandContext } from '../context.js';
import type { CliIo } from '../io.js';
import { connectedSupport, connectedVersions, hostdevNetwork } from '../libvirt-host.js';
import { vfSettingsFrom, withVfOptions, type VfOptionValues } from '../vf-options.js';
import { withFreeVfs } from '../vf-pick.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';
import { checkVirshFlags, definitionOnly, withVirshFlags, type VirshFlagValues } from '../virsh-flags.js';
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
    .addHelpText('after', '\nThe NIC is added to the persistent definition (--config): it is there from the next start.')
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
  const running = definitionOnly(o, name, summary.active);
  const versions = connectedVersions(conn);
  const { supported, vlanInXml } = connectedSupport(versions);
  const bestPinned: Style = supported.includes('interface') ? 'interface' : 'hostdev';
  const style = o.to ? parseStyle(o.to) : o.network && supported.includes('network') ? 'network' : bestPinned;
  const why = whyUnsupported(style, versions.libvirt, versions.qemu ?? versions.libvirt);
  if (o.to && why) throw new InputError(`--to ${style}: ${why}`, `use one of: ${supported.join(', ')}`);

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
    const domain = DomainXml.parse(conn.domains.xml(name, { inactive: true }), `domain ${name}`);
    const placed = placeSettings(style, { ...settings, mac }, vlanInXml);
    const address = vf ? parsePciAddress(vf) : undefined;
    const devices = child(domain.root, 'devices');
    if (!devices) throw new OperationError(`domain ${name} has no <devices>`, 'check the domain XML (virsh dumpxml)');
    const el = buildDevice(domain.root.ownerDocument, style, {
      vf: address, network: style === 'network' ? o.network : undefined, mac: placed.mac, vlan: placed.vlan,
      attributes: style === 'network' ? {} : { managed: 'yes' }, sourceAttributes: {}, children: [],
    }, childIndentOf(devices));
    // next to the domain's other NICs and host devices, else before the devices that end the list
    const siblings = childElements(devices);
    const lastNic = siblings.filter((e) => e.localName === 'interface' || e.localName === 'hostdev').pop();
    const ref = lastNic ? nextElement(siblings, lastNic) : siblings.find((e) => ['memballoon', 'rng', 'panic', 'watchdog'].includes(e.localName)) ?? null;
    insertElement(devices, el, ref);
    domain.metadata.put(metadataKey(style, placed.mac, address), placed.rest);
    const xml = domain.toString();
    await applyOrPreview(ctx, o, {
      xml,
      summary: `domain ${name}: added ${describeStyle(style)}${vf ? ` on VF ${vf} (${pf})` : ` on network ${o.network}`}, MAC ${mac}`
        + `${settings.vlan ? `, VLAN ${settings.vlan.id}` : ''}; it is there from the next start${running}`
        + (style === bestPinned || style === 'network' ? '' : ` (libvirt ${formatVersion(versions.libvirt)} could run ${supported[0]})`),
      apply: () => conn.domains.define(xml),
    });
  });
}

function nextElement(siblings: readonly XmlElement[], el: XmlElement): XmlElement | null {
  return siblings[siblings.indexOf(el) + 1] ?? null;
}
