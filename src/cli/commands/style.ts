import { Command } from 'commander';
import { detectVersions } from '../../versions/detect.js';
import { STYLE_RULES, styleSupport, VLAN_IN_XML_SINCE } from '../../versions/style-rules.js';
import { formatVersion, parseVersion } from '../../versions/version.js';
import { UsageError } from '../../errors.js';
import { describeStyle } from '../../xml/devices/device-fields.js';
import { contextOf, withCommonOptions } from '../context.js';
import type { CliIo } from '../io.js';

export function styleCommand(io: CliIo): Command {
  return withCommonOptions(new Command('style'))
    .description('Which assignment styles a libvirt/qemu pair supports, best first')
    .option('--libvirt <version>', 'libvirt version (default: detected on this host)')
    .option('--qemu <version>', 'qemu version (default: detected on this host)')
    .option('--json', 'print JSON: {"supported":[...],"vlanInXml":bool}')
    .action(async function (this: Command, o: { libvirt?: string; qemu?: string; json?: boolean }) {
      const ctx = contextOf(this, io);
      if (!!o.libvirt !== !!o.qemu) throw new UsageError('--libvirt and --qemu go together', 'give both, or neither to detect them on this host');
      const v = o.libvirt
        ? { libvirt: parseVersion(o.libvirt, 'libvirt version'), qemu: parseVersion(o.qemu!, 'qemu version') }
        : await detectVersions();
      const support = styleSupport(v.libvirt, v.qemu);
      if (o.json) return ctx.out(JSON.stringify(support));
      const lines = [`libvirt ${formatVersion(v.libvirt)}, qemu ${formatVersion(v.qemu)}:`];
      for (const style of support.supported) {
        lines.push(`  ${style.padEnd(10)} ${describeStyle(style)}`);
      }
      for (const rule of STYLE_RULES.filter((r) => !support.supported.includes(r.style))) {
        lines.push(`  (no ${rule.style}: needs libvirt >= ${formatVersion(rule.libvirt)} and qemu >= ${formatVersion(rule.qemu)})`);
      }
      lines.push(support.vlanInXml ? '  VLANs go in the XML (<vlan>)'
        : `  VLANs stay in virt-sriov metadata: <vlan> needs libvirt >= ${formatVersion(VLAN_IN_XML_SINCE)}; the hook sets them`);
      ctx.out(lines.join('\n'));
    });
}
