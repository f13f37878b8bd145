/** The host facts the CLI's pure core needs, read from the host the config points at. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { ipTool, type IpTool } from '../host/ip.js';
import { isVf } from '../host/host-model.js';
import { formatPciAddress } from '../model/pci-address.js';
import { sysfsAt, type Sysfs } from '../host/sysfs.js';
import type { DeviceContext } from '../xml/domain.js';
import { parseNetworkXml } from '../xml/network.js';

/** libvirt's own store of defined networks (read only: we never write libvirt's files). */
const LIBVIRT_NETWORKS_DIR = '/etc/libvirt/qemu/networks';

export interface Host {
  readonly sysfs: Sysfs;
  readonly ip: IpTool;
}

export function hostFor(config: Config): Host {
  return { sysfs: sysfsAt(config.sysfsRoot), ip: ipTool(config.ipCommand) };
}

/** Hostdev networks defined in libvirt on this host, by name. */
export function definedHostdevNetworks(dir = LIBVIRT_NETWORKS_DIR): Set<string> {
  const names = new Set<string>();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
  } catch {
    return names;
  }
  for (const f of files) {
    try {
      const net = parseNetworkXml(readFileSync(join(dir, f), 'utf8'), f);
      if (net.hostdev) names.add(net.name);
    } catch {
      // a network file we can't read is not ours to judge
    }
  }
  return names;
}

/**
 * Which PCI devices are VFs (sysfs, or named with --vf) and which networks are VF pools
 * (named with --network, in the config, or defined in libvirt as <forward mode='hostdev'>).
 */
export function deviceContext(config: Config, host: Host, extra: { vfs?: readonly string[]; networks?: readonly string[] }): DeviceContext {
  const pools = new Set([...(extra.networks ?? []), ...Object.keys(config.networks), ...definedHostdevNetworks()]);
  const named = new Set(extra.vfs ?? []);
  return {
    isVf: (a) => isVf(host.sysfs, a) || named.has(formatPciAddress(a)),
    isHostdevNetwork: (n) => pools.has(n),
  };
}
