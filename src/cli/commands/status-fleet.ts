/**
 * `status -c URI [-c URI]...`: each host's PFs, VFs and who holds them, through libvirt's
 * node-device API and the domains' XML (src/fleet). A host that can't be read is named, and the
 * others are still shown.
 */
import { OperationError } from '../../errors.js';
import { hostView, LOCAL_ONLY_FIELDS, type HostView, type PfView } from '../../fleet/host-view.js';
import { readHostFacts } from '../../fleet/read-host.js';
import { openLibvirt } from '../../libvirt/index.js';
import { describeVfUse } from '../../pool/vf-use.js';
import { renderTable } from '../../table.js';
import type { CommandContext } from '../command-context.js';
import { holderText } from './status.js';

export const LOCAL_ONLY_NOTE = `Read through libvirt (node devices and domains). Only \`virt-sriov status\` run on the host itself shows a VF's ${LOCAL_ONLY_FIELDS.join(', ')}: they are in the PF's netlink VF table, which libvirt's API doesn't expose.`;

export function fleetStatus(ctx: CommandContext, uris: readonly string[], json: boolean, pf?: string): void {
  const views: HostView[] = [];
  const failed: { uri: string; error: string }[] = [];
  for (const uri of uris) {
    try {
      const conn = openLibvirt({ uri, readOnly: true });
      try {
        const view = hostView(readHostFacts(conn), ctx.config.physicalNetworks);
        views.push(pf ? { ...view, pfs: view.pfs.filter((p) => p.netdev === pf) } : view);
      } finally {
        conn.close();
      }
    } catch (e) {
      failed.push({ uri, error: (e as Error).message.split('\n')[0]! });
    }
  }
  if (json) {
    ctx.out(JSON.stringify({ hosts: views.map(fleetJson), unreadable: failed, localOnly: LOCAL_ONLY_FIELDS }));
  } else {
    const text = views.map(renderHost);
    ctx.out([...text, LOCAL_ONLY_NOTE].join('\n\n'));
  }
  if (failed.length) {
    throw new OperationError(`could not read ${failed.map((f) => `${f.uri} (${f.error})`).join('; ')}`,
      'check the URI and that libvirtd there answers: virsh -c URI nodedev-list --cap pci');
  }
}

function fleetJson(v: HostView) {
  return {
    uri: v.uri, hostname: v.hostname,
    pfs: v.pfs.map((pf) => ({ ...pf, vfs: pf.vfs.map((vf) => ({ ...vf, use: vf.use && { by: vf.use.by, name: describeVfUse(vf.use), running: vf.use.by === 'guest' ? vf.use.holder.running : true } })) })),
  };
}

function renderHost(v: HostView): string {
  const head = `${v.hostname} (${v.uri}): ${v.pfs.length ? `${v.pfs.length} SR-IOV PF${v.pfs.length > 1 ? 's' : ''}` : 'no SR-IOV PF (no node device with virt_functions)'}`;
  return [head, ...v.pfs.map(renderPf)].join('\n');
}

function renderPf(pf: PfView): string {
  const used = pf.vfs.filter((vf) => vf.use).length;
  const link = pf.linkUp === null ? '' : pf.linkUp ? ', up' : ', DOWN';
  const nets = pf.physnets.length ? `, physical network ${pf.physnets.join(', ')}` : '';
  const head = `  ${pf.netdev ?? '(no netdev)'} (${pf.pci}, ${pf.driver ?? 'no driver'}${link}${nets}): ${pf.vfs.length}${pf.totalVfs === null ? '' : ` of ${pf.totalVfs}`} VFs, ${used} in use`;
  if (!pf.vfs.length) return head;
  const rows = pf.vfs.map((vf) => [String(vf.index), vf.pci, vf.netdev ?? '-', vf.driver ?? '-', vf.use ? useText(vf.use) : '-']);
  return [head, ...renderTable([['VF', 'PCI', 'NETDEV', 'DRIVER', 'IN USE BY'], ...rows], '    ')].join('\n');
}

function useText(use: NonNullable<PfView['vfs'][number]['use']>): string {
  return use.by === 'guest' ? holderText(use.holder) : describeVfUse(use);
}
