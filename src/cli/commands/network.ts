import { Command } from 'commander';
import { InputError, OperationError, UsageError } from '../../errors.js';
import { parseVlan, validateSettings } from '../../model/vf-settings.js';
import { readTemplate } from '../../templates.js';
import { renderHostdevNetwork } from '../../xml/network.js';
import { withCommonOptions, withContext, type CommandContext } from '../context.js';
import type { CliIo } from '../io.js';

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const NETWORK_NAME = /^[^/\s]{1,64}$/;

export function networkCommand(io: CliIo): Command {
  return withCommonOptions(new Command('network'))
    .description('Print a hostdev network (a pool of VFs on a PF) for `virsh net-define`')
    .requiredOption('--name <name>', 'network name, as guests name it in <source network=...>')
    .requiredOption('--pf <iface>', 'the PF whose VFs make the pool')
    .option('--vlan <tag>', 'VLAN every guest on the network gets (1-4094)')
    .option('--define', 'define it in libvirt instead of printing it')
    .option('--autostart', 'with --define: start it with the daemon')
    .action(async function (this: Command, o: { name: string; pf: string; vlan?: string; define?: boolean; autostart?: boolean }) {
      await withContext(this, io, (ctx) => network(ctx, o));
    });
}

function network(ctx: CommandContext, o: { name: string; pf: string; vlan?: string; define?: boolean; autostart?: boolean }): void {
  if (!NETWORK_NAME.test(o.name)) throw new InputError(`network name '${o.name}' is not usable`, 'use 1-64 characters without "/" or spaces');
  if (!IFNAME.test(o.pf)) throw new InputError(`PF '${o.pf}' is not an interface name`, 'give the PF netdev, e.g. eth1 (see `virt-sriov status`)');
  const vlan = o.vlan === undefined ? undefined : parseVlan(o.vlan, '--vlan');
  if (vlan?.qos !== undefined) throw new InputError(`--vlan ${o.vlan}: a network's <vlan> has no QoS`, 'give only the tag');
  if (vlan) validateSettings({ vlan }, `network ${o.name}`);
  if (o.autostart && !o.define) throw new UsageError('--autostart goes with --define');
  const xml = renderHostdevNetwork(readTemplate('hostdev-network.xml'), { name: o.name, pf: o.pf, vlan });
  if (!o.define) return ctx.out(xml);
  const conn = ctx.libvirt;
  if (conn.networks.lookup(o.name)) {
    throw new OperationError(`network ${o.name} is already defined on ${conn.uri}`, `pick another name, or remove it first (virsh net-undefine ${o.name})`);
  }
  conn.networks.define(xml);
  if (o.autostart) conn.networks.setAutostart(o.name, true);
  ctx.out(`network ${o.name} defined${o.autostart ? ' (autostart)' : ''}: a pool of ${o.pf}'s VFs; start it with virsh net-start ${o.name}`);
}
