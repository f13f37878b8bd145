/**
 * Where the config is: the default path, the one install.sh baked in, the one a loaded config
 * came from. Apart from config.ts so that the hooks' operations, which only name the file in
 * their messages, don't build the config schema a second time.
 */
import type { Config } from './config.js';

export const DEFAULT_CONFIG_PATH = '/etc/virt-sriov/config.json';

declare const VIRT_SRIOV_CONFIG_MARKER: string | undefined;

/**
 * The config path `install.sh --config` wrote into the installed hooks and CLI (libvirt gives
 * hooks almost no environment, so it can't come from there): the marker holds
 * "VIRT_SRIOV_CONFIG_PATH=<path>". Undefined for the default path, which may be absent.
 */
export function bakedConfigPath(): string | undefined {
  const marker = typeof VIRT_SRIOV_CONFIG_MARKER === 'string' ? VIRT_SRIOV_CONFIG_MARKER : '';
  const path = marker.split('=')[1];
  // the default path may be absent (defaults apply); a path baked in on purpose must exist
  return path && path !== DEFAULT_CONFIG_PATH ? path : undefined;
}

/** The file a config came from, for messages that tell the admin to change it. */
export function configFileOf(config: Config): string {
  return config.path ?? DEFAULT_CONFIG_PATH;
}
