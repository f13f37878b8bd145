/**
 * What a running guest's VFs carry, written into its XML before it moves. The live XML says
 * what the guest was started with; a VF hot-plugged by `attach --live`, changed by `set --live`,
 * or set up by the watcher after a plain `virsh attach-device` carries more, and only its record
 * on this host says what (state/vf-record.ts `guest`). The destination and a rollback on this
 * host read the XML, so the record's settings go there, where each style keeps them. Pure.
 */
import { buildElement, metadataKey, placeSettings, pluggedVlan } from '../convert/convert.js';
import { formatPciAddress } from '../model/pci-address.js';
import { formatSetting, SETTING_NAMES } from '../model/vf-settings.js';
import { heldOver } from '../plan/guest-vf.js';
import type { VfDesired } from '../plan/vf-snapshot.js';
import { replaceElement } from '../xml/edit.js';
import type { DeviceContext, DomainXml } from '../xml/domain.js';

/**
 * Each VF-pinned device of `domain` whose VF `held` (by PCI address) says is set for this guest
 * gets those settings, over what the XML and metadata had. Returns the labels of those changed.
 */
export function carryHeldSettings(domain: DomainXml, ctx: DeviceContext, held: ReadonlyMap<string, VfDesired>, vlanInXml: boolean): string[] {
  const changed: string[] = [];
  for (const d of domain.sriovDevices(ctx)) {
    const guest = d.fields.vf ? held.get(formatPciAddress(d.fields.vf)) : undefined;
    if (!guest) continue;
    const settings = heldOver(d.settings, guest);
    if (SETTING_NAMES.every((k) => formatSetting(k, settings) === formatSetting(k, d.settings))) continue;
    const placed = placeSettings(d.style, settings, vlanInXml);
    const vlan = pluggedVlan(d.style, placed, settings, vlanInXml);
    // the element is rebuilt only when its <vlan> changes (an interface's, by set --live): the
    // rest of a running device (its alias, guest address, teaming) stays as libvirt wrote it
    if (formatSetting('vlan', { vlan }) !== formatSetting('vlan', { vlan: d.fields.vlan })) {
      replaceElement(d.element, buildElement(d.element, d.style, { ...d.fields, vlan }));
    }
    domain.metadata.put(metadataKey(d.style, placed.mac ?? d.fields.mac, d.fields.vf), placed.rest, d.entry?.key, d.entry?.kept);
    changed.push(d.label);
  }
  return changed;
}
