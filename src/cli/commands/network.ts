import { Command } from 'commander';
import { InputError } from '../../errors.js';
import { parseVlan, validateSettings } from '../../model/vf-settings.js';
import { readTemplate } from '../../templates.js';
import { renderHostdevNetwork } from '../../xml/network.js';
import { contextOf, withCommonOptions } from '../context.js';
import type { CliIo } from '../io.js';

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const NETWORK_NAME = /^[^/\s]{1,64}$/;

export function networkCommand(io: CliIo): Command {
  return withCommonOptions(new Command('network'))
    .description('Print a hostdev network (a pool of VFs on a PF) for `virsh net-define`')
    .requiredOption('--name <name>', 'network name, as guests name it in <source network=...>')
    .requiredOption('--pf <iface>', 'the PF whose VFs make the pool')
    .option('--vlan <tag>', 'VLAN every guest on the network gets (1-4094)')
    .action(function (this: Command, o: { name: string; pf: string; vlan?: string }) {
      const ctx = contextOf(this, io);
      if (!NETWORK_NAME.test(o.name)) throw new InputError(`network name '${o.name}' is not usable`, 'use 1-64 characters without "/" or spaces');
      if (!IFNAME.test(o.pf)) throw new InputError(`PF '${o.pf}' is not an interface name`, 'give the PF netdev, e.g. eth1 (see `virt-sriov status`)');
      const vlan = o.vlan === undefined ? undefined : parseVlan(o.vlan, '--vlan');
      if (vlan?.qos !== undefined) throw new InputError(`--vlan ${o.vlan}: a network's <vlan> has no QoS`, 'give only the tag');
      if (vlan) validateSettings({ vlan }, `network ${o.name}`);
      ctx.out(renderHostdevNetwork(readTemplate('hostdev-network.xml'), { name: o.name, pf: o.pf, vlan }));
    });
}
