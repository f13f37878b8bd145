import { Command } from 'commander';
import { OperationError, UsageError } from '../../errors.js';
import { resolveVf } from '../../host/vf-locate.js';
import { releaseVf } from '../../live/live-vf.js';
import { unplugAndWait } from '../../live/unplug.js';
import { normalizeMac } from '../../model/mac.js';
import { formatPciAddress, parsePciAddress } from '../../model/pci-address.js';
import { describeVf } from '../../plan/vf-snapshot.js';
import { sameOwner, type Owner } from '../../state/vf-record.js';
import { stateStore } from '../../state/state-store.js';
import { child } from '../../xml/dom.js';
import { removeElement } from '../../xml/edit.js';
import { serializeElement } from '../../xml/serialize.js';
import type { SriovDevice } from '../../xml/domain.js';
import { withPoolLock } from '../../pool/pool-lock.js';
import type { CommandContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { findNic, heldVf, nicOnVf } from '../nic-pick.js';
import { keepLiveMetadata, withLiveEnv } from '../live-change.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';
import { changeTarget, domainChange, waitsForRestart, withVirshFlags, type VirshFlagValues } from '../virsh-flags.js';

/** How long `detach --live` waits for the guest OS to acknowledge the unplug, by default. */
export const DEFAULT_UNPLUG_WAIT_S = 30;

interface DetachOptions extends VirshFlagValues, PreviewOptions {
  mac?: string;
  vf?: string;
  wait: string;
}

export function detachCommand(io: CliIo): Command {
  const cmd = withCommonOptions(new Command('detach'), { virshConfig: true })
    .description('Remove an SR-IOV NIC from a domain, with its virt-sriov settings; a VF the running guest lets go is put back as it was')
    .argument('<domain>', 'the domain')
    .option('--mac <mac>', 'the NIC with this MAC')
    .option('--vf <pci>', 'the NIC on this VF')
    .option('--wait <seconds>', 'with --live: how long the guest OS has to acknowledge the unplug', String(DEFAULT_UNPLUG_WAIT_S));
  return withPreviewOptions(withVirshFlags(cmd), 'domain')
    .addHelpText('after', '\nFrom a running guest (--live, the default for a running domain) the NIC goes when the guest OS acknowledges\n'
      + 'the unplug (libvirt\'s device-removed event); then its VF is put back as it was before the guest, and freed.')
    .action(domainChange(io, detach));
}

async function detach(ctx: CommandContext, name: string, o: DetachOptions): Promise<void> {
  if (!!o.mac === !!o.vf) throw new UsageError('give either --mac MAC or --vf PCI', 'see virt-sriov detach --help');
  const waitS = Number(o.wait);
  if (!Number.isFinite(waitS) || waitS <= 0) throw new UsageError(`--wait '${o.wait}' is not a number of seconds`, 'give --wait 60, say');
  const mac = o.mac ? normalizeMac(o.mac) : undefined;
  const vf = o.vf ? parsePciAddress(o.vf) : undefined;
  // subscribed before the unplug is asked for, on the connection that asks (only where it may be live)
  ctx.events = !(o.config && !o.live);
  const conn = ctx.libvirt;
  const summary = conn.domains.lookup(name);
  if (!summary) throw new OperationError(`domain ${name} is not defined on ${conn.uri}`, '`virsh list --all` shows the defined domains');
  const target = changeTarget(o, name, summary.active);
  const owner: Owner = { name, uuid: summary.uuid };
  const live = target.live ? findNic(ctx, name, conn.domains.xml(name), { mac, vf }, ' (running)') : undefined;
  // the VF a record of this guest holds for --mac/--vf: a <hostdev> named by its MAC (which
  // only the record has) is still in the guest; else the NIC is gone and its VF still claimed
  // (a second detach after a guest that acknowledged late)
  const held = live && !live.device && ctx.local ? heldVf(stateStore(ctx.config.stateDir).all(), owner, { mac, vf }) : undefined;
  const device = live && nicOnVf(live, held);
  const leftover = live && !device ? held : undefined;
  if (live && !device && !leftover) throw live.missing();
  const summaries: string[] = [];
  if (live && !o.dryRun && !o.printXml) {
    if (device) summaries.push(await unplug(ctx, owner, device, waitS));
    else summaries.push(await freeLeftover(ctx, owner, leftover!));
  } else if (live) {
    summaries.push(`unplug ${device?.label ?? `VF ${leftover}`} from the running guest`);
  }

  if (!target.config) {
    ctx.out(o.dryRun || o.printXml ? `nothing changed (--dry-run): domain ${name}: ${summaries.join('; ')}` : `domain ${name}: ${summaries.join('; ')}`);
    return;
  }
  // as attach: reading, changing and defining the domain must not interleave with an attach of it
  await withPoolLock(ctx.config.stateDir, async () => {
    const found = findNic(ctx, name, conn.domains.xml(name, { inactive: true }), { mac, vf }, '');
    const { domain, device } = found;
    if (!device) throw found.missing();
    removeElement(device.element);
    if (device.entry) domain.metadata.put(device.entry.key, {});
    const xml = domain.toString();
    summaries.push(`removed ${device.label}; gone from the next start${waitsForRestart(name, target, summary.active)}`);
    await applyOrPreview(ctx, o, { xml, summary: `domain ${name}: ${summaries.join('; ')}`, apply: () => conn.domains.define(xml) });
  });
}

/**
 * Ask libvirt to unplug the device and wait for its `removed` event (the guest OS must
 * acknowledge it), then put its VF back and free it. A guest that does not acknowledge in time
 * keeps the device, and the VF stays claimed: said so, with what to do.
 */
async function unplug(ctx: CommandContext, owner: Owner, device: SriovDevice, waitS: number): Promise<string> {
  const conn = ctx.libvirt;
  const alias = child(device.element, 'alias')?.getAttribute('name') ?? null;
  // a network-style NIC's VF (the live XML shows it as <interface type='hostdev'>): libvirt
  // releases its port as the guest lets it go, and the network hook's port-deleted puts it back
  const record = device.fields.vf && ctx.local ? stateStore(ctx.config.stateDir).get(formatPciAddress(device.fields.vf)) : null;
  const network = record?.network ?? null;
  const outcome = await unplugAndWait({
    requestRemoval: (domain, xml) => conn.domains.detachDevice(domain, xml, { live: true, config: false }),
    onDevice: (h) => conn.events.onDevice(h),
    run: (ms, until) => conn.events.run(ms, until),
    stillHas: (domain, a) => conn.domains.xml(domain).includes(`<alias name='${a}'/>`),
  }, owner.name, alias, serializeElement(device.element), waitS * 1000);
  if (outcome === 'refused') {
    throw new OperationError(`domain ${owner.name}: the guest refused to let ${device.label} go (libvirt: device removal failed); it keeps the NIC and its VF`,
      `check the guest's kernel log; try again, or shut the guest down (its VF is put back when it stops)`);
  }
  if (outcome === 'timeout') {
    throw new OperationError(`domain ${owner.name}: the guest has not let ${device.label} go after ${waitS} s: its OS did not acknowledge the unplug, so it keeps the NIC and its VF stays claimed`,
      `libvirt finishes the removal when the guest acknowledges it (a guest OS without PCI hot-plug, or not up yet, never does); then \`virt-sriov detach ${owner.name} ${device.fields.vf ? `--vf ${formatPciAddress(device.fields.vf)}` : `--mac ${device.settings.mac}`} --live\` puts the VF back and frees it; or shut the guest down (its VF is put back when it stops)`);
  }
  const freed = device.fields.vf && ctx.local
    ? `; ${await freeLeftover(ctx, owner, formatPciAddress(device.fields.vf), network, !!record && sameOwner(record.owner, owner))}` : '';
  // the running guest's metadata no longer describes it (attach --live put it there, or the definition)
  if (device.entry) {
    const { key } = device.entry;
    keepLiveMetadata(ctx, owner.name, (metadata) => {
      if (!metadata.find(key)) return false;
      metadata.put(key, {});
      return true;
    }, `the running guest's XML still lists ${device.label}'s settings; harmless`);
  }
  return `unplugged ${device.label} from the running guest${freed}`;
}

/**
 * `network`: the hostdev network the VF came from, whose hook may have put it back already.
 * `recorded`: the guest's record held the VF when the unplug was asked for; gone now, the
 * watcher (which acts on the same device-removed event) put it back first.
 */
async function freeLeftover(ctx: CommandContext, owner: Owner, pci: string, network: string | null = null, recorded = false): Promise<string> {
  return withLiveEnv(ctx, 'detach', owner.name, async (env) => {
    const vf = resolveVf(env, parsePciAddress(pci));
    const what = vf ? describeVf(vf) : `VF ${pci}`;
    if (await releaseVf(env, pci, owner)) return `${what} put back and freed`;
    if (network) return `${what} put back and freed (network ${network}'s hook did it as libvirt released the port)`;
    return recorded ? `${what} put back and freed (virt-sriov's watcher did it as the guest let it go)`
      : `${what}: virt-sriov holds no record of it for ${owner.name}, left as it is`;
  });
}
