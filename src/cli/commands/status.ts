import { Command } from 'commander';
import { OperationError } from '../../errors.js';
import { listPfNames, readHost, type HostModel, type PfInfo } from '../../host/host-model.js';
import { contextOf, withCommonOptions } from '../context.js';
import type { CliIo } from '../io.js';

export function statusCommand(io: CliIo): Command {
  return withCommonOptions(new Command('status'))
    .description('Every SR-IOV PF of this host and the state of each VF')
    .option('--json', 'print JSON')
    .option('--pf <iface>', 'only this PF')
    .action(async function (this: Command, o: { json?: boolean; pf?: string }) {
      const ctx = contextOf(this, io);
      const { sysfs, ip } = ctx.host;
      if (o.pf && !listPfNames(sysfs).includes(o.pf)) {
        throw new OperationError(`${o.pf} is not an SR-IOV PF on this host`,
          sysfs.exists(`class/net/${o.pf}`) ? `its driver offers no VFs (no sriov_totalvfs): check the NIC's SR-IOV settings in the BIOS`
            : 'see `ip link` for the interface names');
      }
      const host = await readHost(sysfs, ip, o.pf);
      if (o.json) return ctx.out(JSON.stringify(statusJson(host)));
      if (host.pfs.length === 0) {
        return ctx.out('No SR-IOV NIC on this host: no network interface offers VFs (sriov_totalvfs).\n'
          + 'Check that the NIC supports SR-IOV and that SR-IOV is enabled in the BIOS and the NIC\'s own settings.');
      }
      ctx.out(host.pfs.map(renderPf).join('\n'));
    });
}

export function statusJson(host: HostModel) {
  return {
    pfs: host.pfs.map((pf) => ({
      name: pf.name,
      pci: pf.pci,
      driver: pf.driver,
      totalVfs: pf.totalVfs,
      numVfs: pf.numVfs,
      up: pf.up,
      vfs: pf.vfs.map((vf) => ({
        vf: vf.vf,
        pci: vf.pci,
        netdev: vf.netdev,
        driver: vf.driver,
        iommuGroup: vf.iommuGroup,
        mac: vf.state?.mac ?? null,
        vlan: vf.state?.vlan ?? null,
        qos: vf.state?.qos ?? null,
        spoofchk: vf.state?.spoofchk ?? null,
        trust: vf.state?.trust ?? null,
        linkState: vf.state?.linkState ?? null,
        minTxRate: vf.state?.minTxRate ?? null,
        maxTxRate: vf.state?.maxTxRate ?? null,
      })),
    })),
  };
}

function renderPf(pf: PfInfo): string {
  const head = `${pf.name} (${pf.pci}, ${pf.driver ?? 'no driver'}, ${pf.up ? 'up' : 'DOWN'}): ${pf.numVfs} of ${pf.totalVfs} VFs`;
  const onOff = (b: boolean | null | undefined) => (b === null || b === undefined ? '-' : b ? 'on' : 'off');
  const rows = pf.vfs.map((vf) => [
    String(vf.vf), vf.pci, vf.netdev ?? '-', vf.driver ?? '-', vf.state?.mac ?? '-',
    vf.state?.vlan ? `${vf.state.vlan}${vf.state.qos ? `:${vf.state.qos}` : ''}` : '-',
    onOff(vf.state?.spoofchk), onOff(vf.state?.trust), vf.state?.linkState ?? '-',
    vf.state ? `${vf.state.minTxRate}/${vf.state.maxTxRate}` : '-',
  ]);
  return [head, ...table(['VF', 'PCI', 'NETDEV', 'DRIVER', 'MAC', 'VLAN', 'SPOOFCHK', 'TRUST', 'LINK', 'TX MIN/MAX'], rows)].join('\n');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
