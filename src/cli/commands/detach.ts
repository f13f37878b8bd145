import { Command } from 'commander';
import { InputError, OperationError, UsageError } from '../../errors.js';
import { normalizeMac } from '../../model/mac.js';
import { formatPciAddress, parsePciAddress, samePciAddress } from '../../model/pci-address.js';
import { removeElement } from '../../xml/dom.js';
import { DomainXml } from '../../xml/domain.js';
import { withPoolLock } from '../../pool/host-pool.js';
import { withCommonOptions, withContext } from '../context.js';
import type { CliIo } from '../io.js';
import { connectedDeviceContext } from '../libvirt-host.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';
import { checkVirshFlags, definitionOnly, withVirshFlags, type VirshFlagValues } from '../virsh-flags.js';

export function detachCommand(io: CliIo): Command {
  const cmd = withCommonOptions(new Command('detach'), { virshConfig: true })
    .description('Remove an SR-IOV NIC from a defined domain, with its virt-sriov settings')
    .argument('<domain>', 'the domain')
    .option('--mac <mac>', 'the NIC with this MAC')
    .option('--vf <pci>', 'the NIC on this VF');
  return withPreviewOptions(withVirshFlags(cmd), 'domain')
    .addHelpText('after', '\nThe NIC is removed from the persistent definition (--config): it is gone from the next start.')
    .action(async function (this: Command, name: string, o: { mac?: string; vf?: string } & VirshFlagValues & PreviewOptions) {
      checkVirshFlags(this, o);
      await withContext(this, io, async (ctx) => {
        if (!!o.mac === !!o.vf) throw new UsageError('give either --mac MAC or --vf PCI', 'see virt-sriov detach --help');
        const conn = ctx.libvirt;
        const summary = conn.domains.lookup(name);
        if (!summary) throw new OperationError(`domain ${name} is not defined on ${conn.uri}`, '`virsh list --all` shows the defined domains');
        const running = definitionOnly(o, name, summary.active);
        // as attach: reading, changing and defining the domain must not interleave with an attach of it
        await withPoolLock(ctx.config.stateDir, async () => {
          const domain = DomainXml.parse(conn.domains.xml(name, { inactive: true }), `domain ${name}`);
          const base = connectedDeviceContext(ctx);
          const vf = o.vf ? parsePciAddress(o.vf) : undefined;
          // a <hostdev> named by --vf is taken as a VF even where this host can't tell
          const devices = domain.sriovDevices({ ...base, isVf: (a) => (vf && samePciAddress(a, vf)) || base.isVf(a) });
          const mac = o.mac ? normalizeMac(o.mac) : undefined;
          const device = devices.find((d) => (mac && d.settings.mac === mac) || (vf && d.fields.vf && samePciAddress(d.fields.vf, vf)));
          if (!device) {
            const have = devices.map((d) => d.label).join(', ') || 'none';
            throw new InputError(`domain ${name} has no SR-IOV NIC ${mac ? `with MAC ${mac}` : `on VF ${formatPciAddress(vf!)}`} (it has: ${have})`, '`virt-sriov status` and `virsh dumpxml` show what it has');
          }
          removeElement(device.element);
          if (device.entry) domain.metadata.put(device.entry.key, {});
          const xml = domain.toString();
          await applyOrPreview(ctx, o, { xml, summary: `domain ${name}: removed ${device.label}; gone from the next start${running}`, apply: () => conn.domains.define(xml) });
        });
      });
    });
}
