/**
 * The libvirt and QEMU versions `style` and `convert` shape for: given on the command line
 * (--libvirt-version/--qemu-version, the names install.sh uses too), else those of the host -c
 * connects to, else this host's binaries.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { detectVersions } from '../versions/detect.js';
import { ANY_QEMU, formatVersion, parseVersion, type Version } from '../versions/version.js';
import type { CommandContext } from './command-context.js';
import { connectedVersions } from './libvirt-host.js';

export interface VersionOptionValues {
  libvirtVersion?: string;
  qemuVersion?: string;
  /** Hidden aliases: style's old --libvirt/--qemu, convert's old --for-libvirt/--for-qemu. */
  libvirt?: string;
  qemu?: string;
  forLibvirt?: string;
  forQemu?: string;
}

export interface TargetVersions {
  readonly libvirt: Version;
  readonly qemu: Version;
  /** Where they came from, for messages: "given", "qemu:///system", "this host". */
  readonly source: string;
}

export function withVersionOptions(cmd: Command, aliases: readonly [string, string]): Command {
  return cmd
    .option('--libvirt-version <version>', 'shape for this libvirt version (with --qemu-version; default: -c\'s host, else this host)')
    .option('--qemu-version <version>', 'shape for this QEMU version (with --libvirt-version)')
    .addOption(new Option(`${aliases[0]} <version>`).hideHelp())
    .addOption(new Option(`${aliases[1]} <version>`).hideHelp());
}

export async function targetVersions(ctx: CommandContext, o: VersionOptionValues, { cache = false } = {}): Promise<TargetVersions> {
  const libvirt = o.libvirtVersion ?? o.libvirt ?? o.forLibvirt;
  const qemu = o.qemuVersion ?? o.qemu ?? o.forQemu;
  if (!!libvirt !== !!qemu) {
    throw new UsageError('--libvirt-version and --qemu-version go together', 'give both (e.g. --libvirt-version 9.0.0 --qemu-version 7.2.0), or neither for the host\'s');
  }
  if (libvirt) {
    if (ctx.connectionGiven) throw new UsageError(`give the versions or -c ${ctx.options.connect}, not both`, 'the versions shape for a host you name; -c asks that host');
    return { libvirt: parseVersion(libvirt, 'libvirt version'), qemu: parseVersion(qemu!, 'qemu version'), source: 'given' };
  }
  if (ctx.connectionGiven) {
    const conn = ctx.libvirt;
    const v = connectedVersions(conn);
    return { libvirt: v.libvirt, qemu: v.qemu ?? ANY_QEMU, source: conn.uri };
  }
  const v = await detectVersions(cache ? { cacheDir: ctx.config.stateDir } : {});
  return { ...v, source: 'this host' };
}

export function describeVersions(v: TargetVersions): string {
  const qemu = v.qemu === ANY_QEMU ? 'any QEMU' : `qemu ${formatVersion(v.qemu)}`;
  return `libvirt ${formatVersion(v.libvirt)} with ${qemu}${v.source === 'given' || v.source === 'this host' ? '' : ` (${v.source})`}`;
}
