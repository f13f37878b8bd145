/**
 * The best style for each device on a given libvirt/QEMU pair that keeps the domain's intent:
 * a device pinned to a VF stays pinned (unless the admin names a network to move it to), a
 * device on a pool stays on the pool while the pair has pools.
 */
import { InputError } from '../errors.js';
import type { Style } from '../xml/devices/device-fields.js';
import type { SriovDevice } from '../xml/domain.js';
import { styleSupport, whyUnsupported } from '../versions/style-rules.js';
import { formatVersion, type Version } from '../versions/version.js';

export interface StylePlan {
  readonly target: (device: SriovDevice) => Style;
  readonly vlanInXml: boolean;
}

export function chooseStyles(libvirt: Version, qemu: Version, opts: { network?: string; forced?: Style }): StylePlan {
  const { supported, vlanInXml } = styleSupport(libvirt, qemu);
  const pair = `libvirt ${formatVersion(libvirt)} with qemu ${formatVersion(qemu)}`;
  if (opts.forced) {
    const why = whyUnsupported(opts.forced, libvirt, qemu);
    if (why) throw new InputError(`${pair} can't run ${opts.forced} style: ${why}`, `choose one of: ${supported.join(', ')}`);
    return { target: () => opts.forced!, vlanInXml };
  }
  const bestPinned: Style = supported.includes('interface') ? 'interface' : 'hostdev';
  const poolOk = supported.includes('network');
  if (opts.network && !poolOk) {
    throw new InputError(`--network ${opts.network}: ${whyUnsupported('network', libvirt, qemu)}`,
      `leave out --network to keep the VFs pinned (${bestPinned} style)`);
  }
  return {
    vlanInXml,
    target: (d) => {
      if (opts.network) return 'network';
      if (d.style === 'network' && poolOk) return 'network';
      return bestPinned;
    },
  };
}
