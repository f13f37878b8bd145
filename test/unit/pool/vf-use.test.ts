import { describe, expect, test } from '@jest/globals';
import { vfHolders } from '../../../src/pool/vf-holders.js';
import { describeVfUse, inUseNow, vfUse } from '../../../src/pool/vf-use.js';

const VF = '0000:01:10.2';
const definition = (name: string, running: boolean) => ({
  name, running, xml: [`<domain><name>${name}</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></source></hostdev></devices></domain>`],
});
const free = { driver: 'igbvf', upNetdev: null };

describe('one rule for "is this VF in use?"', () => {
  test('a guest that names it: in use; now only when it runs', () => {
    const defined = vfUse(vfHolders([definition('web1', false)]).get(VF), free);
    expect(defined && describeVfUse(defined)).toBe('web1');
    expect(inUseNow(defined)).toBe(false);
    const running = vfUse(vfHolders([definition('web1', true)]).get(VF), free);
    expect(inUseNow(running)).toBe(true);
  });

  test('bound to vfio-pci, or up on the host: in use now, whoever it is', () => {
    const vfio = vfUse(undefined, { driver: 'vfio-pci', upNetdev: null });
    expect(vfio && [describeVfUse(vfio), inUseNow(vfio)]).toEqual(['vfio-pci', true]);
    const host = vfUse(undefined, { driver: 'igbvf', upNetdev: 'eth0v1' });
    expect(host && [describeVfUse(host), inUseNow(host)]).toEqual(['the host (eth0v1 is up)', true]);
  });

  test('a guest is named before the driver it has; nothing at all is free; unread sysfs is no use', () => {
    const both = vfUse(vfHolders([definition('fw1', true)]).get(VF), { driver: 'vfio-pci', upNetdev: null });
    expect(both && describeVfUse(both)).toBe('fw1');
    expect(vfUse(undefined, free)).toBeNull();
    expect(vfUse(undefined, null)).toBeNull();
    expect(inUseNow(null)).toBe(false);
  });
});
