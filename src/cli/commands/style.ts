import { Command } from 'commander';
import { STYLE_RULES, styleSupport, VLAN_IN_XML_SINCE } from '../../versions/style-rules.js';
import { atLeast, formatVersion, version } from '../../versions/version.js';
import { styleTableJson } from '../../xml/devices/style-table.js';
import { describeStyle } from '../../xml/devices/device-fields.js';
import { withContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { describeVersions, targetVersions, withVersionOptions, type VersionOptionValues } from '../target-versions.js';

export function styleCommand(io: CliIo): Command {
  return withVersionOptions(withCommonOptions(new Command('style')), ['--libvirt', '--qemu'])
    .description('Which assignment styles a libvirt/qemu pair supports, best first')
    .option('--json', 'print JSON: {"supported":[...],"vlanInXml":bool}')
    .option('--table', 'print, as JSON, where each part of a device lives in each style, for this libvirt (what convert goes by)')
    .addHelpText('after', '\nThe versions: those given, else those of the host -c URI connects to, else this host\'s binaries.')
    .action(async function (this: Command, o: VersionOptionValues & { json?: boolean; table?: boolean }) {
      await withContext(this, io, async (ctx) => {
        const v = await targetVersions(ctx, o);
        const support = styleSupport(v.libvirt, v.qemu);
        if (o.table) return ctx.out(JSON.stringify(styleTableJson((since) => atLeast(v.libvirt, version(since))), null, 2));
        if (o.json) return ctx.out(JSON.stringify(support));
        const lines = [`${describeVersions(v)}:`];
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
    });
}
