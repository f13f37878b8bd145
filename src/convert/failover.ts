/**
 * Failover pairs (libvirt's <teaming>): each VF gets a virtio-net standby with its MAC, so that
 * libvirt unplugs the VF before a migration and the guest's net_failover driver carries its
 * traffic on the standby meanwhile. The VF keeps its style, its settings and its metadata; only
 * <teaming type='transient'> is added to it, and the standby goes right before it.
 */
import { InputError } from '../errors.js';
import { generateMac } from '../model/mac.js';
import { child, childElements, type XmlDocument, type XmlElement } from '../xml/dom.js';
import { build, childIndentOf, insertElement, type ElementSpec } from '../xml/edit.js';
import { USER_ALIAS, failoverPartner, isFailoverStandby } from '../xml/devices/teaming.js';
import type { DomainXml, SriovDevice } from '../xml/domain.js';
import { buildElement } from './convert.js';

/** Where the standby's traffic goes: a libvirt network (not a hostdev pool) or a host bridge. */
export type StandbySource = { readonly network: string } | { readonly bridge: string };

/** `--failover NAME` is a libvirt network; `--failover bridge:BR` a host bridge. */
export function parseStandbySource(text: string): StandbySource {
  const t = text.trim();
  const bridge = /^bridge:(.+)$/.exec(t);
  if (bridge) return { bridge: bridge[1]! };
  if (!t || /[\s'"<>&]/.test(t)) {
    throw new InputError(`--failover '${text}': not a network name`,
      'give the libvirt network the virtio-net standby goes on (e.g. --failover default), or bridge:BRIDGE for a host bridge');
  }
  return { network: t };
}

export function describeStandby(s: StandbySource): string {
  return 'network' in s ? `network ${s.network}` : `bridge ${s.bridge}`;
}

/** The standby interface: virtio (libvirt requires it of a persistent team member), the VF's MAC, a user alias the VF names. */
export function standbySpec(source: StandbySource, mac: string, alias: string): ElementSpec {
  const [type, attrs] = 'network' in source ? ['network', { network: source.network }] : ['bridge', { bridge: source.bridge }];
  return {
    name: 'interface', attrs: { type },
    children: [
      { name: 'mac', attrs: { address: mac } }, { name: 'source', attrs }, { name: 'model', attrs: { type: 'virtio' } },
      { name: 'teaming', attrs: { type: 'persistent' } }, { name: 'alias', attrs: { name: alias } },
    ],
  };
}

export function transientTeaming(doc: XmlDocument, alias: string): XmlElement {
  return build(doc, { name: 'teaming', attrs: { type: 'transient', persistent: alias } }, null);
}

/**
 * A user alias no device has in any of these XMLs (a domain's live and inactive definitions may
 * differ): ua-sriov-standby, ua-sriov-standby1, ...
 */
export function freeStandbyAlias(roots: readonly XmlElement[], taken: Set<string> = new Set()): string {
  for (const devices of roots.map((r) => child(r, 'devices'))) {
    for (const el of devices ? childElements(devices) : []) {
      const name = child(el, 'alias')?.getAttribute('name');
      if (name) taken.add(name);
    }
  }
  for (let i = 0; ; i++) {
    const alias = `ua-sriov-standby${i || ''}`;
    if (!taken.has(alias)) {
      taken.add(alias);
      return alias;
    }
  }
}

export interface FailoverResult {
  /** The devices that got a standby, with it. */
  readonly paired: { readonly device: string; readonly alias: string; readonly mac: string }[];
  /** Devices that were in a pair already. */
  readonly already: string[];
  /** MACs given to devices that had none (the pair needs one on both halves). */
  readonly warnings: string[];
}

/**
 * Pair every SR-IOV device not yet in a pair with a standby on `source`. A device with no MAC
 * gets one (in its XML where the style holds it, else in its metadata): net_failover pairs by MAC.
 */
export function pairForFailover(domain: DomainXml, devices: readonly SriovDevice[], source: StandbySource): FailoverResult {
  const list = child(domain.root, 'devices');
  const result: FailoverResult = { paired: [], already: [], warnings: [] };
  if (!list) return result;
  const where = (d: SriovDevice) => `domain ${domain.name}, ${d.label}`;
  const partner = (d: SriovDevice) => failoverPartner(d.element);
  for (const d of devices) {
    const alias = partner(d);
    if (alias === null) continue;
    // a pair libvirt would refuse is the admin's to mend, not ours to pair again
    if (!USER_ALIAS.test(alias) || !childElements(list, 'interface').some((el) => isFailoverStandby(el) && child(el, 'alias')?.getAttribute('name') === alias)) {
      throw new InputError(`${where(d)}: its <teaming persistent='${alias}'> names no standby interface of the domain`,
        `add the virtio-net interface with <teaming type='persistent'/> and <alias name='${alias}'/>, or remove the VF's <teaming> and pair it again with --failover`);
    }
    result.already.push(d.label);
  }
  const macs = new Set(childElements(list, 'interface').flatMap((el) => { const m = child(el, 'mac')?.getAttribute('address'); return m ? [m.toLowerCase()] : []; }));
  for (const d of devices) macs.add(d.settings.mac ?? '');
  const aliases = new Set<string>();
  for (const d of devices.filter((x) => partner(x) === null)) {
    const alias = freeStandbyAlias([domain.root], aliases);
    let mac = d.settings.mac;
    if (!mac) {
      mac = generateMac(macs);
      macs.add(mac);
      result.warnings.push(`${where(d)}: gave it MAC ${mac}, which its failover standby shares`);
      if (d.style === 'hostdev') domain.metadata.put(d.entry?.key ?? { pci: d.fields.vf! }, { ...d.entry?.settings, mac }, d.entry?.key, d.entry?.kept);
    }
    const doc = d.element.ownerDocument;
    const fields = { ...d.fields, mac: d.style === 'hostdev' ? undefined : mac, children: [...d.fields.children, transientTeaming(doc, alias)] };
    const vf = buildElement(d.element, d.style, fields);
    const oneLine = !/\n/.test(d.element.textContent ?? '');
    d.element.parentNode!.replaceChild(vf, d.element);
    insertElement(list, build(doc, standbySpec(source, mac, alias), oneLine ? null : childIndentOf(list)), vf);
    result.paired.push({ device: d.label, alias, mac });
  }
  return result;
}
