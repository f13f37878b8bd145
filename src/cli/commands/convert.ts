import { Command, Option } from 'commander';
import { chooseStyles } from '../../convert/choose-style.js';
import { convertDomain } from '../../convert/convert.js';
import { describeStandby, pairForFailover, parseStandbySource } from '../../convert/failover.js';
import { InputError, UsageError } from '../../errors.js';
import { formatPciAddress, parsePciAddress } from '../../model/pci-address.js';
import { styleSupport, whyNoFailover } from '../../versions/style-rules.js';
import { describeStyle, parseStyle, STYLES } from '../../xml/devices/device-fields.js';
import { DomainXml } from '../../xml/domain.js';
import { withContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import { deviceContext, withNamedDevices } from '../device-context.js';
import { readInput, type CliIo } from '../io.js';
import { connectedDeviceContext } from '../libvirt-host.js';
import { describeVersions, targetVersions, withVersionOptions, type VersionOptionValues } from '../target-versions.js';

interface ConvertOptions extends VersionOptionValues {
  to?: string;
  network?: string;
  vf: string[];
  pciAsVf?: boolean;
  strict?: boolean;
  failover?: string;
}

export function convertCommand(io: CliIo): Command {
  return withVersionOptions(withCommonOptions(new Command('convert')), ['--for-libvirt', '--for-qemu'])
    .description('Rewrite a domain\'s SR-IOV devices into another assignment style (XML on stdout)')
    .argument('[file]', 'domain XML file (default: stdin)')
    .addOption(new Option('--to <style>', 'the style to convert to').choices([...STYLES]))
    .option('--network <name>', 'hostdev network for devices going to network style')
    .option('--vf <pci>', 'a VF to pin a network-style device to, or a PCI hostdev to treat as a VF (repeatable)',
      (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--pci-as-vf', 'treat every PCI <hostdev> as a VF (for XML shaped on one host for another)')
    .option('--strict', 'refuse, changing nothing, rather than keep in metadata a part the new style can\'t hold')
    .option('--failover <network>', 'pair each VF with a virtio-net standby on this libvirt network (bridge:NAME for a host bridge): '
      + 'a <teaming> failover pair, which plain `virsh migrate --live` moves (libvirt >= 6.1, qemu >= 4.2, a guest with net_failover)')
    .addHelpText('after', `
Styles:
  hostdev    ${describeStyle('hostdev')}: works everywhere; MAC and VLAN go to metadata
  interface  ${describeStyle('interface')}: libvirt >= 0.9.11, qemu >= 1.3
  network    ${describeStyle('network')} on a hostdev network: libvirt >= 0.10.0, qemu >= 1.3
Without --to, the best style for the versions given is chosen, else for the host -c URI
connects to, else for this host's libvirt and qemu. With -c, which devices are VFs and which
networks are VF pools is asked of that host too.
Settings the new style's XML can't hold are kept in the domain's <metadata> for the hook; other
parts it can't hold (a <virtualport> in a <hostdev>...) are kept there too, named on stderr, and
come back when the device returns to a style that holds them (see \`virt-sriov style --table\`).
With --failover each VF (in its new style) gets <teaming type='transient'> and, right before it,
a virtio-net standby with its MAC and <teaming type='persistent'>: libvirt unplugs the VF before
a migration while the guest's net_failover driver carries its traffic on the standby.`)
    .action(async function (this: Command, file: string | undefined, o: ConvertOptions) {
      await withContext(this, io, async (ctx) => {
        if (o.to && (o.libvirtVersion || o.qemuVersion || o.forLibvirt || o.forQemu)) {
          throw new UsageError('give either --to or --libvirt-version/--qemu-version, not both');
        }
        const vfs = o.vf.map(parsePciAddress);
        const standby = o.failover !== undefined ? parseStandbySource(o.failover) : undefined;
        const input = await readInput(io, file);
        const domain = DomainXml.parse(input.text, input.what);

        let plan;
        let libvirt;
        if (o.to) {
          plan = { target: parseStyle(o.to), vlanInXml: true };
        }
        if (!o.to || standby) {
          const versions = await targetVersions(ctx, o, { cache: true });
          const noFailover = standby && whyNoFailover(versions.libvirt, versions.qemu);
          if (noFailover) {
            throw new InputError(`--failover: ${describeVersions(versions)} can't run it: ${noFailover}`,
              'leave out --failover, or shape for a libvirt and qemu that have it (--libvirt-version, --qemu-version, -c URI)');
          }
          if (!o.to) {
            plan = chooseStyles(versions.libvirt, versions.qemu, { network: o.network });
            libvirt = versions.libvirt;
            const { supported } = styleSupport(versions.libvirt, versions.qemu);
            ctx.note(`${describeVersions(versions)} runs: ${supported.join(', ')}`);
          }
        }
        // -c: the connected host says which devices are VFs and which networks are pools
        const base = ctx.connectionGiven ? connectedDeviceContext(ctx) : deviceContext(ctx.config, ctx.host);
        const named = withNamedDevices(base, { vfs: o.vf, networks: o.network ? [o.network] : [] });
        const context = o.pciAsVf ? { ...named, isVf: () => true } : named;
        const result = convertDomain(domain, { ...plan!, network: o.network, vfs, context, libvirt, strict: o.strict });
        const pairs = standby ? pairForFailover(domain, domain.sriovDevices(context), standby) : undefined;
        // an option that changed nothing is said, never passed over: --strict refuses it
        const unused: string[] = [];
        if (result.unusedVfs.length) {
          unused.push(`--vf ${result.unusedVfs.map(formatPciAddress).join(', ')} changed nothing: no device of domain ${domain.name} is on it, `
            + 'and no network-style device went to a VF-pinned style (--to hostdev or interface)');
        }
        if (o.network && !domain.sriovDevices(context).some((d) => d.fields.network === o.network || d.entry?.kept?.network === o.network)) {
          unused.push(`--network ${o.network} changed nothing: no device of domain ${domain.name} is on it, and none went to it`
            + (o.to && o.to !== 'network' ? ' (only --to network moves devices onto a network)' : ''));
        }
        if (o.strict && unused.length) {
          throw new InputError(unused.join('; '), 'leave out the options that change nothing, or drop --strict');
        }
        for (const u of unused) ctx.note(`warning: ${u}`);
        for (const w of [...result.moved, ...result.warnings]) ctx.note(`warning: ${w}`);
        for (const c of result.conversions) ctx.note(`${c.device}: ${c.from} -> ${c.to}`);
        for (const w of pairs?.warnings ?? []) ctx.note(`warning: ${w}`);
        for (const p of pairs?.paired ?? []) ctx.note(`${p.device}: failover pair with a virtio-net standby on ${describeStandby(standby!)} (alias ${p.alias}, MAC ${p.mac})`);
        for (const a of pairs?.already ?? []) ctx.note(`${a}: already in a failover pair`);
        if (result.devices === 0) ctx.note(`domain ${domain.name} has no SR-IOV device; nothing to convert`);
        ctx.out(domain.toString());
      });
    });
}
