import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, DEFAULTS, type Config } from '../../config/config.js';
import { isVirtSriovError, OperationError } from '../../errors.js';
import { diagnose, doctorJson, exitCodeOf, renderText } from '../../doctor/doctor.js';
import type { ConfigFacts } from '../../doctor/facts.js';
import { gather } from '../../doctor/gather.js';
import { localDoctorHost, type DoctorHost } from '../../doctor/host.js';
import { contextOf, type CommandContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';

/** `makeHost` is where doctor looks: this machine, or a fake one in tests. */
export function doctorCommand(io: CliIo, makeHost: (config: Config) => DoctorHost = localDoctorHost): Command {
  return withCommonOptions(new Command('doctor'))
    .description('Check everything SR-IOV with libvirt needs on this host, each with its fix')
    .option('--json', 'print JSON: {"checks":[{"id","status":"ok|warn|fail","summary","fix"}]}')
    .addHelpText('after', `
Checks the IOMMU (VT-d / AMD-Vi), the kernel (version, CONFIG_PCI_IOV, VFIO, the NIC driver's
SR-IOV option), vfio-pci, each NIC's SR-IOV capability and VF limit, PFs up, driver quirks,
libvirt and qemu versions, libvirt's vfio support (domcapabilities), the hooks, whether the
libvirt daemon was restarted since they were installed, and whether virt-sriov watch runs (a
warning when guests assign VFs by address, <hostdev> or <interface type='hostdev'>, without it).
Exit status: 0 when nothing failed (warnings allowed), 1 when a check failed.`)
    .action(async function (this: Command, o: { json?: boolean }) {
      const ctx = contextOf(this, io);
      const { config, facts } = configFacts(ctx);
      // hooks run only under the system daemon, so that is the one to ask unless told otherwise
      const uri = ctx.options.connect ?? process.env.LIBVIRT_DEFAULT_URI ?? 'qemu:///system';
      const checks = diagnose(await gather(makeHost(config), { config: facts, uri }));
      ctx.out(o.json ? JSON.stringify(doctorJson(checks)) : renderText(checks));
      if (exitCodeOf(checks) !== 0) {
        const failed = checks.filter((c) => c.status === 'fail').length;
        throw new OperationError(`${failed} check${failed === 1 ? '' : 's'} failed`);
      }
    });
}

/** A config doctor can't use is one of its findings, not a reason to stop: go on with the defaults. */
function configFacts(ctx: CommandContext): { config: Config; facts: ConfigFacts } {
  try {
    const config = ctx.config;
    return { config, facts: { path: config.path, error: null, pfs: config.pfs, networks: config.networks } };
  } catch (e) {
    if (!isVirtSriovError(e)) throw e;
    const path = ctx.configPath ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : null);
    return { config: DEFAULTS, facts: { path, error: { message: e.message, fix: e.fix ?? null }, pfs: {}, networks: {} } };
  }
}
