/**
 * `set`: change the VF settings of a domain's SR-IOV NIC, on the running guest's VF now
 * (--live) and/or in its definition (--config), wherever its style keeps each setting (the
 * XML's <vlan>, or virt-sriov's metadata). libvirt can't change a VF's settings under a running
 * guest (its hot-update refuses hostdev interfaces): virt-sriov sets the VF itself.
 */
import { Command } from 'commander';
import { buildElement, metadataKey, placeSettings } from '../../convert/convert.js';
import { OperationError, UsageError } from '../../errors.js';
import { resolveVf } from '../../host/vf-locate.js';
import { changeVf } from '../../live/live-vf.js';
import { normalizeMac } from '../../model/mac.js';
import { formatPciAddress, parsePciAddress } from '../../model/pci-address.js';
import { describeSetting, formatSetting, isEmpty, omit, SETTING_NAMES, validateSettings, type SettingName, type VfSettings } from '../../model/vf-settings.js';
import { heldOver } from '../../plan/guest-vf.js';
import { describeVf } from '../../plan/vf-snapshot.js';
import { withPoolLock } from '../../pool/pool-lock.js';
import type { Owner } from '../../state/vf-record.js';
import { stateStore } from '../../state/state-store.js';
import { replaceElement } from '../../xml/edit.js';
import type { SriovDevice } from '../../xml/domain.js';
import type { CommandContext } from '../command-context.js';
import { withCommonOptions } from '../common-options.js';
import type { CliIo } from '../io.js';
import { connectedSupport, connectedVersions } from '../libvirt-host.js';
import { keepLiveMetadata, withLiveEnv } from '../live-change.js';
import { findNic, heldVf, nicOnVf } from '../nic-pick.js';
import { applyOrPreview, withPreviewOptions, type PreviewOptions } from '../preview.js';
import { vfSettingsFrom, withVfOptions, type VfOptionValues } from '../vf-options.js';
import { changeTarget, domainChange, waitsForRestart, withVirshFlags, type VirshFlagValues } from '../virsh-flags.js';

interface SetOptions extends VfOptionValues, VirshFlagValues, PreviewOptions {
  vf?: string;
}

export function setCommand(io: CliIo): Command {
  const cmd = withCommonOptions(new Command('set'), { virshConfig: true })
    .description('Change the VF settings of a domain\'s SR-IOV NIC: on the running guest\'s VF now, and/or in its definition')
    .argument('<domain>', 'the domain')
    .option('--mac <mac>', 'the NIC with this MAC')
    .option('--vf <pci>', 'the NIC on this VF');
  return withPreviewOptions(withVirshFlags(withVfOptions(cmd, { mac: false })), 'domain')
    .addHelpText('after', '\nOnly the settings given change; each change is logged from what to what (virt-sriov logs).\n'
      + '--vlan none takes the NIC\'s VLAN away: its VF untagged, and none in the definition (a network-style NIC then gets its network\'s).')
    .action(domainChange(io, set));
}

async function set(ctx: CommandContext, name: string, o: SetOptions): Promise<void> {
  if (!!o.mac === !!o.vf) throw new UsageError('give either --mac MAC or --vf PCI: the NIC to change', 'see virt-sriov set --help');
  // --vlan none: the NIC untagged, on the VF and in the definition
  const untag = o.vlan?.trim().toLowerCase() === 'none';
  const asked = vfSettingsFrom({ ...o, mac: undefined, vlan: untag ? undefined : o.vlan }, `domain ${name}`);
  if (isEmpty(asked) && !untag) throw new UsageError('nothing to change: give at least one setting (--vlan, --trust, ...)', 'see virt-sriov set --help');
  const nic = { mac: o.mac ? normalizeMac(o.mac) : undefined, vf: o.vf ? parsePciAddress(o.vf) : undefined };
  const conn = ctx.libvirt;
  const summary = conn.domains.lookup(name);
  if (!summary) throw new OperationError(`domain ${name} is not defined on ${conn.uri}`, '`virsh list --all` shows the defined domains');
  const target = changeTarget(o, name, summary.active);
  const owner: Owner = { name, uuid: summary.uuid };
  const said: string[] = [];

  if (target.live) {
    const live = findNic(ctx, name, conn.domains.xml(name), nic, ' (running)');
    // a <hostdev> named by --mac: its MAC is in its VF's record, not in the XML
    const device = nicOnVf(live, live.device || !ctx.local ? undefined : heldVf(stateStore(ctx.config.stateDir).all(), owner, nic));
    if (!device) throw live.missing();
    if (!ctx.local) throw new UsageError(`--live changes a VF of this host, and ${conn.uri} names another`, `run it on that host, or give --config`);
    if (o.dryRun || o.printXml) said.push(`would set ${describeAsked(asked, untag)} on the running guest's ${device.label}`);
    else said.push(await setLive(ctx, owner, device, asked, untag));
  }
  if (!target.config) {
    ctx.out(o.dryRun || o.printXml ? `nothing changed (--dry-run): domain ${name}: ${said.join('; ')}` : `domain ${name}: ${said.join('; ')}`);
    return;
  }
  // as attach: reading, changing and defining the domain must not interleave with another edit of it
  await withPoolLock(ctx.config.stateDir, async () => {
    const found = findNic(ctx, name, conn.domains.xml(name, { inactive: true }), nic, '');
    if (!found.device) throw found.missing();
    const d = found.device;
    const merged = validateSettings(untag ? omit({ ...d.settings, ...asked }, ['vlan']) : { ...d.settings, ...asked }, `domain ${name}, ${d.label}`);
    const placed = placeSettings(d.style, merged, connectedSupport(connectedVersions(conn)).vlanInXml);
    replaceElement(d.element, buildElement(d.element, d.style, { ...d.fields, vlan: placed.vlan }));
    found.domain.metadata.put(metadataKey(d.style, placed.mac ?? d.fields.mac, d.fields.vf), placed.rest, d.entry?.key, d.entry?.kept);
    const xml = found.domain.toString();
    said.push(`${d.label} in the definition: ${describeChanges(d.settings, merged)}${waitsForRestart(name, target, summary.active)}`);
    await applyOrPreview(ctx, o, { xml, summary: `domain ${name}: ${said.join('; ')}`, apply: () => conn.domains.define(xml) });
  });
}

/** Set the VF the running guest has; returns what changed on it, from what to what. */
async function setLive(ctx: CommandContext, owner: Owner, device: SriovDevice, asked: VfSettings, untag: boolean): Promise<string> {
  return withLiveEnv(ctx, 'set', owner.name, async (env) => {
    // a network-style NIC's VF is the one libvirt's pool gave it: its record says which
    const pci = device.fields.vf ? formatPciAddress(device.fields.vf)
      : heldVf(stateStore(ctx.config.stateDir).all(), owner, { mac: device.settings.mac });
    const vf = pci ? resolveVf(env, parsePciAddress(pci)) : null;
    if (!vf) {
      throw new OperationError(`domain ${owner.name}: ${device.label}: ${pci ? `VF ${pci} is not on this host` : 'virt-sriov does not know which VF libvirt gave it'}`,
        '`virt-sriov status` shows the VFs and who holds them');
    }
    const changes = await changeVf(env, owner, device.label, vf, asked, untag);
    // a pinned VF's record has all the guest asks (a NIC the watcher set up has no entry yet); a
    // network's has its network's defaults too, which are not the NIC's own
    const record = env.state.get(vf.pci);
    const own = untag ? omit({ ...device.settings, ...asked }, ['vlan']) : { ...device.settings, ...asked };
    keepInLiveXml(ctx, owner.name, device, device.style !== 'network' && record ? heldOver(device.settings, record.guest) : own);
    return `${describeVf(vf)} now: ${changes.length ? changes.map((c) => `${c.keys.join('/')} ${c.from} -> ${c.to}`).join(', ') : 'it had these settings already'}`;
  });
}

/**
 * The running guest's metadata follows (live-metadata.ts), so its live XML says what the guest
 * asks: what the style keeps there. An interface's <vlan> in the running XML can't change
 * (libvirt's hot-update refuses hostdev interfaces): metadata may only add a priority to its tag,
 * and holds the VLAN where the XML has none. A new tag is the VF's record's alone, which
 * `virt-sriov migrate` carries. A failure is said, with the VF changed all the same.
 */
function keepInLiveXml(ctx: CommandContext, name: string, device: SriovDevice, merged: VfSettings): void {
  const placed = placeSettings(device.style, merged, connectedSupport(connectedVersions(ctx.libvirt)).vlanInXml);
  const xmlVlan = device.fields.vlan;
  const rest = xmlVlan ? (placed.rest.vlan && placed.rest.vlan.id !== xmlVlan.id ? omit(placed.rest, ['vlan']) : placed.rest)
    : merged.vlan ? { ...placed.rest, vlan: merged.vlan } : placed.rest;
  keepLiveMetadata(ctx, name, (metadata) => {
    metadata.put(metadataKey(device.style, placed.mac ?? device.fields.mac, device.fields.vf), rest, device.entry?.key, device.entry?.kept);
    return true;
  }, `the running guest's XML still lists ${device.label}'s old settings; its VF has the new ones`);
}

function describeAsked(s: VfSettings, untag: boolean): string {
  return SETTING_NAMES.filter((k) => s[k] !== undefined || (k === 'vlan' && untag))
    .map((k) => `${describeSetting(k)} ${formatSetting(k, s) ?? 'none'}`).join(', ');
}

function describeChanges(before: VfSettings, after: VfSettings): string {
  const changed = SETTING_NAMES.filter((k) => formatSetting(k, before) !== formatSetting(k, after));
  const shown = (k: SettingName, v: VfSettings) => formatSetting(k, v) ?? (k === 'vlan' ? 'none' : '-');
  return changed.length ? changed.map((k) => `${describeSetting(k)} ${shown(k, before)} -> ${shown(k, after)}`).join(', ') : 'it had these settings already';
}
