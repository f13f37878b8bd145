/** The host facts the CLI's pure core needs, read from the host the config points at. */
import type { Config } from '../config/config.js';
import { ipTool, type IpTool } from '../host/ip.js';
import { isVf } from '../host/host-model.js';
import { formatPciAddress } from '../model/pci-address.js';
import { sysfsAt, type Sysfs } from '../host/sysfs.js';
import type { DeviceContext } from '../xml/domain.js';
import { definedHostdevNetworks } from '../host/libvirt-files.js';

export interface Host {
  readonly sysfs: Sysfs;
  readonly ip: IpTool;
}

export function hostFor(config: Config): Host {
  return { sysfs: sysfsAt(config.sysfsRoot), ip: ipTool(config.ipCommand) };
}


/**
 * Which PCI devices are VFs (sysfs, or named with --vf) and which networks are VF pools
 * (named with --network, in the config, or defined in libvirt as <forward mode='hostdev'>).
 */
export function deviceContext(config: Config, host: Host, extra: { vfs?: readonly string[]; networks?: readonly string[] }): DeviceContext {
  const given = new Set([...(extra.networks ?? []), ...Object.keys(config.networks)]);
  // libvirt's network files are read (and parsed) only for a domain with a network interface
  let defined: Set<string> | undefined;
  const named = new Set(extra.vfs ?? []);
  return {
    isVf: (a) => isVf(host.sysfs, a) || named.has(formatPciAddress(a)),
    isHostdevNetwork: (n) => given.has(n) || (defined ??= definedHostdevNetworks()).has(n),
  };
}
