import { Command, Option } from 'commander';
import { chooseStyles } from '../../convert/choose-style.js';
import { convertDomain } from '../../convert/convert.js';
import { UsageError } from '../../errors.js';
import { parsePciAddress } from '../../model/pci-address.js';
import { detectVersions } from '../../versions/detect.js';
import { styleSupport } from '../../versions/style-rules.js';
import { formatVersion, parseVersion } from '../../versions/version.js';
import { describeStyle, parseStyle, STYLES } from '../../xml/devices/device-fields.js';
import { DomainXml } from '../../xml/domain.js';
import { contextOf, withCommonOptions } from '../context.js';
import { deviceContext } from '../host-context.js';
import { readInput, type CliIo } from '../io.js';

interface ConvertOptions {
  to?: string;
  forLibvirt?: string;
  forQemu?: string;
  network?: string;
  vf: string[];
}

export function convertCommand(io: CliIo): Command {
  return withCommonOptions(new Command('convert'))
    .description('Rewrite a domain\'s SR-IOV devices into another assignment style (XML on stdout)')
    .argument('[file]', 'domain XML file (default: stdin)')
    .addOption(new Option('--to <style>', 'the style to convert to').choices([...STYLES]))
    .option('--for-libvirt <version>', 'choose the best style for this libvirt version (needs --for-qemu)')
    .option('--for-qemu <version>', 'choose the best style for this qemu version (needs --for-libvirt)')
    .option('--network <name>', 'hostdev network for devices going to network style')
    .option('--vf <pci>', 'a VF to pin a network-style device to, or a PCI hostdev to treat as a VF (repeatable)',
      (v: string, all: string[]) => [...all, v], [] as string[])
    .addHelpText('after', `
Styles:
  hostdev    ${describeStyle('hostdev')}: works everywhere; MAC and VLAN go to metadata
  interface  ${describeStyle('interface')}: libvirt >= 0.9.11, qemu >= 1.3
  network    ${describeStyle('network')} on a hostdev network: libvirt >= 0.10.0, qemu >= 1.3
With neither --to nor --for-*, the best style for this host's libvirt and qemu is chosen.
Settings the new style's XML can't hold are kept in the domain's <metadata> for the hook.`)
    .action(async function (this: Command, file: string | undefined, o: ConvertOptions) {
      const ctx = contextOf(this, io);
      if (o.to && (o.forLibvirt || o.forQemu)) throw new UsageError('give either --to or --for-libvirt/--for-qemu, not both');
      if (!!o.forLibvirt !== !!o.forQemu) throw new UsageError('--for-libvirt and --for-qemu go together', 'give both versions, e.g. --for-libvirt 9.0.0 --for-qemu 7.2.0');
      const vfs = o.vf.map(parsePciAddress);
      const input = await readInput(io, file);
      const domain = DomainXml.parse(input.text, input.what);

      let plan;
      if (o.to) {
        const target = parseStyle(o.to);
        plan = { target, vlanInXml: true };
      } else {
        const versions = o.forLibvirt
          ? { libvirt: parseVersion(o.forLibvirt, 'libvirt version'), qemu: parseVersion(o.forQemu!, 'qemu version') }
          : await detectVersions({ cacheDir: ctx.config.stateDir });
        plan = chooseStyles(versions.libvirt, versions.qemu, { network: o.network });
        const { supported } = styleSupport(versions.libvirt, versions.qemu);
        ctx.note(`libvirt ${formatVersion(versions.libvirt)} with qemu ${formatVersion(versions.qemu)} runs: ${supported.join(', ')}`);
      }
      const context = deviceContext(ctx.config, ctx.host, { vfs: o.vf, networks: o.network ? [o.network] : [] });
      const result = convertDomain(domain, { ...plan, network: o.network, vfs, context });
      for (const w of result.warnings) ctx.note(`warning: ${w}`);
      for (const c of result.conversions) ctx.note(`${c.device}: ${c.from} -> ${c.to}`);
      if (result.devices === 0) ctx.note(`domain ${domain.name} has no SR-IOV device; nothing to convert`);
      ctx.out(domain.toString());
    });
}
