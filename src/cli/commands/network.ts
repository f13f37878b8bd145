import { Command } from 'commander';
import { InputError, isVirtSriovError, OperationError, UsageError } from '../../errors.js';
import { validateSettings } from '../../model/vf-settings.js';
import { parseVlan } from '../../model/admin-values.js';
import { readTemplate } from '../../templates.js';
import { renderHostdevNetwork } from '../../xml/network.js';
import { listPfNames } from '../../host/host-model.js';
import { pfVfs } from '../../pool/pf-vfs.js';
import { withContext, type CommandContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const NETWORK_NAME = /^[^/\s]{1,64}$/;

export function networkCommand(io: CliIo): Command {
  return withPreviewOptions(withCommonOptions(new Command('network')), null)
    .description('Print a hostdev network (a pool of VFs on a PF) for `virsh net-define`')
    .requiredOption('--name <name>', 'network name, as guests name it in <source network=...>')
    .requiredOption('--pf <iface>', 'the PF whose VFs make the pool')
    .option('--vlan <tag>', 'VLAN every guest on the network gets (1-4094)')
    .option('--define', 'define it in libvirt instead of printing it')
    .option('--autostart', 'with --define: start it with the daemon')
    .addHelpText('after', '\nThe PF is checked on the host: this one, or with --define the one -c URI connects to.')
    .action(async function (this: Command, o: NetworkOptions) {
      await withContext(this, io, (ctx) => network(ctx, o));
    });
}

interface NetworkOptions extends PreviewOptions {
  name: string;
  pf: string;
  vlan?: string;
  define?: boolean;
  autostart?: boolean;
}

async function network(ctx: CommandContext, o: NetworkOptions): Promise<void> {
  if (!NETWORK_NAME.test(o.name)) throw new InputError(`network name '${o.name}' is not usable`, 'use 1-64 characters without "/" or spaces');
  if (!IFNAME.test(o.pf)) throw new InputError(`PF '${o.pf}' is not an interface name`, 'give the PF netdev, e.g. eth1 (see `virt-sriov status`)');
  const vlan = o.vlan === undefined ? undefined : parseVlan(o.vlan, '--vlan');
  if (vlan?.qos !== undefined) throw new InputError(`--vlan ${o.vlan}: a network's <vlan> has no QoS`, 'give only the tag');
  if (vlan) validateSettings({ vlan }, `network ${o.name}`);
  if (o.autostart && !o.define) throw new UsageError('--autostart goes with --define');
  if (o.dryRun && !o.define) throw new UsageError('--dry-run goes with --define', 'without --define nothing changes: the XML is printed');
  const xml = renderHostdevNetwork(readTemplate('hostdev-network.xml'), { name: o.name, pf: o.pf, vlan });
  if (!o.define) {
    // the XML may be for another host: a PF missing here is worth a word, not a refusal
    const missing = ctx.local ? missingPf(ctx, o.pf) : null;
    if (missing) ctx.note(`warning: ${missing.message} (the network would not start here)`);
    return ctx.out(xml);
  }
  // refused now rather than at virsh net-start
  const missing = missingPf(ctx, o.pf);
  if (missing) throw missing;
  const conn = ctx.libvirt;
  if (conn.networks.lookup(o.name)) {
    throw new OperationError(`network ${o.name} is already defined on ${conn.uri}`, `pick another name, or remove it first (virsh net-undefine ${o.name})`);
  }
  await applyOrPreview(ctx, o, {
    summary: `network ${o.name} defined${o.autostart ? ' (autostart)' : ''}: a pool of ${o.pf}'s VFs; start it with virsh net-start ${o.name}`,
    apply: () => {
      conn.networks.define(xml);
      if (o.autostart) conn.networks.setAutostart(o.name, true);
    },
  });
}

/** Why `pf` can't be a VF pool's PF on the connected host (this one's sysfs, or libvirt's node devices), or null. */
function missingPf(ctx: CommandContext, pf: string): OperationError | null {
  if (ctx.local) {
    const sysfs = ctx.host.sysfs;
    if (listPfNames(sysfs).includes(pf)) return null;
    return sysfs.exists(`class/net/${pf}`)
      ? new OperationError(`${pf} is not an SR-IOV PF on this host: it offers no VFs (no sriov_totalvfs)`, '`virt-sriov status` lists the PFs; `virt-sriov doctor` says why a NIC offers none')
      : new OperationError(`there is no interface ${pf} on this host`, '`virt-sriov status` lists the PFs, `ip link` the interfaces');
  }
  try {
    pfVfs(pf, { conn: ctx.libvirt });
    return null;
  } catch (e) {
    if (isVirtSriovError(e, 'operation')) return e;
    throw e;
  }
}
