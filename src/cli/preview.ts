/**
 * A look before a change, as virt-xml and virt-install offer it: --print-xml prints what would
 * be defined, --dry-run says what would change; neither changes anything. Everything else (the
 * checks, the VF picked, the MAC generated) runs as for the change itself.
 */
import type { Command } from 'commander';
import type { CommandContext } from './command-context.js';

export interface PreviewOptions {
  printXml?: boolean;
  dryRun?: boolean;
}

/** --dry-run; with `xml`, also --print-xml. */
export function withPreviewOptions(cmd: Command, xml: string | null): Command {
  if (xml) cmd.option('--print-xml', `print the ${xml} XML that would be defined (stdout), and change nothing`);
  return cmd.option('--dry-run', 'check everything and say what would change, and change nothing');
}

/**
 * Make the change (`apply`), or show it: the XML on stdout (--print-xml, the summary on stderr
 * so that the output pipes into virsh define), or the summary marked as a dry run.
 */
export async function applyOrPreview(ctx: CommandContext, o: PreviewOptions,
  change: { xml?: string; summary: string; apply: () => unknown }): Promise<void> {
  if (o.printXml && change.xml !== undefined) {
    ctx.out(change.xml);
    ctx.note(`nothing changed (--print-xml): ${change.summary}`);
  } else if (o.dryRun || o.printXml) {
    ctx.out(`nothing changed (--dry-run): ${change.summary}`);
  } else {
    await change.apply();
    ctx.out(change.summary);
  }
}
