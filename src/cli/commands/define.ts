import { Command, Option } from 'commander';
import { chooseStyles } from '../../convert/choose-style.js';
import { convertDomain } from '../../convert/convert.js';
import { parsePciAddress } from '../../model/pci-address.js';
import { STYLES, parseStyle, type Style } from '../../xml/devices/device-fields.js';
import { DomainXml } from '../../xml/domain.js';
import { withContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import { connectedDeviceContext, connectedSupport, connectedVersions, hostdevNetwork } from '../libvirt-host.js';
import { readInput, type CliIo } from '../io.js';
import { withFreeVfs } from '../vf-pick.js';
import { OperationError } from '../../errors.js';
import { ANY_QEMU } from '../../versions/version.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';

export function defineCommand(io: CliIo): Command {
  return withPreviewOptions(withCommonOptions(new Command('define')), 'domain')
    .description('Convert a domain to the best style the connected host supports, and define it')
    .argument('<file>', 'domain XML file (- for stdin)')
    .addOption(new Option('--to <style>', 'force this style instead of the best one').choices([...STYLES]))
    .action(async function (this: Command, file: string, o: { to?: string } & PreviewOptions) {
      await withContext(this, io, async (ctx) => {
        const input = await readInput(io, file);
        const domain = DomainXml.parse(input.text, input.what);
        const conn = ctx.libvirt;
        const versions = connectedVersions(conn);
        const plan = chooseStyles(versions.libvirt, versions.qemu ?? ANY_QEMU, { forced: o.to ? parseStyle(o.to) : undefined });
        const context = connectedDeviceContext(ctx);
        // a network-style device going to a pinned style takes a free VF of its network's PF
        const devices = domain.sriovDevices(context);
        const pfs = devices.filter((d) => d.style === 'network' && plan.target(d) !== 'network').map((d) => {
          const pf = hostdevNetwork(conn, d.fields.network!)?.pf;
          if (!pf) {
            throw new OperationError(`domain ${domain.name}, ${d.label}: this host can't run network style, and network ${d.fields.network} names no PF to take a VF from`,
              'pin the device to a VF yourself: virt-sriov convert --to interface --vf PCI');
          }
          return pf;
        });
        const { supported } = connectedSupport(versions);
        await withFreeVfs(ctx, pfs, async (vfs) => {
          const result = convertDomain(domain, { ...plan, vfs: vfs.map(parsePciAddress), context });
          for (const w of result.warnings) ctx.note(`warning: ${w}`);
          const styles = [...new Set(domain.sriovDevices(context).map((d) => d.style))] as Style[];
          const xml = domain.toString();
          await applyOrPreview(ctx, o, {
            xml,
            summary: `domain ${domain.name} defined${styles.length ? ` with ${styles.join(', ')} style SR-IOV devices` : ''} (this host runs: ${supported.join(', ')})`,
            apply: () => conn.domains.define(xml),
          });
        });
      });
    });
}
