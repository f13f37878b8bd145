import { Command } from 'commander';
import { configFileOf, type Config } from '../../config/config.js';
import { recordVfCount } from '../../config/config-edit.js';
import { InputError, OperationError } from '../../errors.js';
import { listPfNames, readPfSysfs, readVfBinding, waitForVfs } from '../../host/host-model.js';
import { parseInteger } from '../../model/admin-values.js';
import { planVfCountChange } from '../../plan/vf-count.js';
import { domainDefinitions } from '../../pool/domain-definitions.js';
import { withPoolLock } from '../../pool/pool-lock.js';
import { vfHolders, type DomainDefinition, type VfHolder } from '../../pool/vf-holders.js';
import { describeVfUse, inUseNow, vfUse } from '../../pool/vf-use.js';
import { withLock } from '../../state/host-lock.js';
import { stateStore } from '../../state/state-store.js';
import { withContext, type CommandContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { renderTable } from '../../table.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';

export function vfsCommand(io: CliIo): Command {
  return withPreviewOptions(withCommonOptions(new Command('vfs')), null)
    .description('Show or set how many VFs a PF has (this host only)')
    .argument('<iface>', 'the PF')
    .option('--count <n>', 'set the VF count (0 removes them all) and record it in the config, so the VFs are made again at boot')
    .action(async function (this: Command, pf: string, o: { count?: string } & PreviewOptions) {
      await withContext(this, io, async (ctx) => {
        const sysfs = ctx.host.sysfs;
        if (!listPfNames(sysfs).includes(pf)) throw new OperationError(`${pf} is not an SR-IOV PF on this host`, '`virt-sriov status` lists the PFs');
        if (o.count === undefined) return show(ctx, pf, holdersOf(ctx));
        const wanted = parseInteger(o.count, '--count');
        // under the pool lock: an attach must not pick a VF this call is about to remove; and
        // under the vfs lock, which the hooks take for claims and their own sriov_numvfs writes,
        // once libvirt has said which domains name VFs (never ask libvirt holding it: libvirt
        // may be waiting for a hook that waits for it)
        await withPoolLock(ctx.config.stateDir, async () => {
          const definitions = definitionsOf(ctx);
          await withLock(ctx.config.stateDir, 'vfs', async () => {
          const holders = vfHolders(definitions, stateStore(ctx.config.stateDir).all());
          const pfInfo = readPfSysfs(sysfs, pf);
          if (wanted < 0) throw new InputError(`--count ${wanted}: a VF count can't be negative`, `give 0 to ${pfInfo.totalVfs}`);
          const held = pfInfo.vfAddresses.flatMap((pci, index) => {
            const use = vfUse(holders.get(pci), readVfBinding(sysfs, pci));
            return use ? [{ index, pci, domain: describeVfUse(use), running: inUseNow(use), guest: use.by === 'guest' }] : [];
          });
          const plan = planVfCountChange(pf, pfInfo.numVfs, wanted, pfInfo.totalVfs, held);
          if (plan.kind === 'impossible') throw new OperationError(plan.why, plan.fix);
          // recorded in the config, where the hooks read it: the daemon hook makes them again at boot
          const config = configFileOf(ctx.config);
          const recorded = ctx.config.pfs[pf]?.numVfs;
          const record = recorded === wanted ? [] : [`recorded in ${config}${wanted ? ': made again at boot' : ''}`];
          const change = plan.writes.length ? `${pfInfo.numVfs} -> ${wanted} VFs` : `already ${wanted} VFs`;
          if (!plan.writes.length && !record.length) return ctx.out(`${pf}: ${change}, as recorded in ${config}`);
          await applyOrPreview(ctx, o, {
            summary: `${pf}: ${[change, ...record].join('; ')}`,
            apply: async () => {
              for (const n of plan.writes) {
                try {
                  sysfs.write(`class/net/${pf}/device/sriov_numvfs`, String(n));
                } catch (e) {
                  throw new OperationError(`${pf}: the kernel refused ${n} VFs: ${(e as Error).message}`, 'check `dmesg` for the driver\'s reason');
                }
              }
              await waitForVfs(sysfs, pf, wanted);
              if (record.length) recordVfCount(config, pf, wanted);
            },
          });
          });
        });
      });
    });
}

function definitionsOf(ctx: CommandContext): DomainDefinition[] {
  try {
    return domainDefinitions(ctx.libvirt);
  } catch (e) {
    // without libvirt nothing can be known to hold a VF, and removing one blind is not safe
    throw new OperationError(`could not ask libvirt which guests hold VFs: ${(e as Error).message}`, 'start the libvirt daemon, or give -c URI');
  }
}

function holdersOf(ctx: CommandContext): Map<string, VfHolder> {
  return vfHolders(definitionsOf(ctx), stateStore(ctx.config.stateDir).all());
}

function show(ctx: CommandContext, pf: string, holders: Map<string, VfHolder>): void {
  const info = readPfSysfs(ctx.host.sysfs, pf);
  const rows = info.vfAddresses.map((pci, i) => {
    const use = vfUse(holders.get(pci), readVfBinding(ctx.host.sysfs, pci));
    if (!use) return [`vf ${i}`, pci, 'free'];
    return [`vf ${i}`, pci, use.by === 'guest' ? `${use.holder.domain} (${use.holder.running ? 'running' : 'defined'})` : describeVfUse(use)];
  });
  ctx.out([`${pf}: ${info.numVfs} of ${info.totalVfs} VFs; ${describeRecorded(ctx.config, pf, info.numVfs)}`, ...renderTable(rows, '  ')].join('\n'));
}

/** What the config records for a PF's VF count next to what is live, with how to record it. */
export function describeRecorded(config: Config, pf: string, live: number): string {
  const recorded = config.pfs[pf]?.numVfs;
  if (recorded === undefined) return live ? `none recorded: they are gone after a reboot (keep them: virt-sriov vfs ${pf} --count ${live})` : 'none recorded';
  return `${recorded} recorded (made at boot)${recorded === live ? '' : `; to record the live count: virt-sriov vfs ${pf} --count ${live}`}`;
}
