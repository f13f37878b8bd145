/**
 * Which devices convert and define take for VFs, and which networks for VF pools: this host's
 * sysfs and libvirt's network files, and what the command line names (--vf, --network).
 */
import type { Config } from '../config/config.js';
import { isVf } from '../host/host-model.js';
import { definedHostdevNetworks } from '../host/libvirt-files.js';
import { formatPciAddress, parsePciAddress } from '../model/pci-address.js';
import type { DeviceContext } from '../xml/domain.js';
import type { Host } from './command-context.js';

/**
 * Which PCI devices are VFs (this host's sysfs) and which networks are VF pools (in the config,
 * or defined in libvirt as <forward mode='hostdev'>, read from libvirt's files).
 */
export function deviceContext(config: Config, host: Host): DeviceContext {
  const given = new Set(Object.keys(config.networks));
  // libvirt's network files are read (and parsed) only for a domain with a network interface
  let defined: Set<string> | undefined;
  return {
    isVf: (a) => isVf(host.sysfs, a),
    isHostdevNetwork: (n) => given.has(n) || (defined ??= definedHostdevNetworks()).has(n),
  };
}

/** A context that also takes the VFs named with --vf and the networks named with --network. */
export function withNamedDevices(base: DeviceContext, named: { vfs: readonly string[]; networks: readonly string[] }): DeviceContext {
  const vfs = new Set(named.vfs.map((v) => formatPciAddress(parsePciAddress(v))));
  const networks = new Set(named.networks);
  return {
    isVf: (a) => vfs.has(formatPciAddress(a)) || base.isVf(a),
    isHostdevNetwork: (n) => networks.has(n) || base.isHostdevNetwork(n),
  };
}
