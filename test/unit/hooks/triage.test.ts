import { describe, expect, test } from '@jest/globals';
import { needsWork } from '../../../src/hooks/triage.js';
import { captureStdin } from '../../support/fake-host.js';

const none = { pfsConfigured: false, vfsHeld: false };

describe('triage: calls with nothing to do skip the XML, process and lock libraries', () => {
  test('a domain without any PCI host device, hostdev or network interface has nothing for us', () => {
    const plain = "<domain type='qemu'><name>vm</name><devices><interface type='bridge'><source bridge='br0'/></interface><disk type='file'/></devices></domain>";
    for (const op of ['prepare', 'start', 'reconnect', 'migrate', 'restore']) expect(needsWork('qemu', op, plain, none)).toBe(false);
  });

  test.each([
    ['qemu.l2-hostdev.prepare.begin.xml'], ['qemu.l2-iface.prepare.begin.xml'], ['qemu.l2-net.prepare.begin.xml'], ['qemu.l2-net.start.begin.xml'],
  ])('every captured SR-IOV domain (%s) goes the full way', (file) => {
    expect(needsWork('qemu', 'prepare', captureStdin(file), none)).toBe(true);
  });

  test('a <hostdev> in any form of its start tag goes the full way, self-closing included; a <hostdevx> does not', () => {
    for (const tag of ['<hostdev/>', '<hostdev>', "<hostdev mode='subsystem' type='pci'>", '<hostdev\n  managed="yes">']) {
      expect({ tag, work: needsWork('qemu', 'prepare', `<domain><devices>${tag}</devices></domain>`, none) }).toEqual({ tag, work: true });
    }
    expect(needsWork('qemu', 'prepare', '<domain><devices><hostdevx/></devices></domain>', none)).toBe(false);
  });

  test('virt-sriov metadata alone is enough to look closer (it may name a device by mistake)', () => {
    const md = "<domain><name>vm</name><metadata><s:vfs xmlns:s='http://virt-sriov.org/xmlns/domain/1.0'/></metadata></domain>";
    expect(needsWork('qemu', 'start', md, none)).toBe(true);
  });

  test('stop and release follow the state, not the XML: a network-style guest shows no VF by then', () => {
    const released = captureStdin('qemu.l2-net.release.end.xml');
    expect(needsWork('qemu', 'release', released, { ...none, vfsHeld: true })).toBe(true);
    expect(needsWork('qemu', 'release', released, none)).toBe(false);
    expect(needsWork('qemu', 'stopped', '', { ...none, vfsHeld: true })).toBe(true);
  });

  test('the network hook works only for VF pools, the daemon hook only with PFs configured', () => {
    expect(needsWork('network', 'start', captureStdin('network.sriov.start.begin.xml'), none)).toBe(true);
    expect(needsWork('network', 'start', "<hookData><network><name>default</name><forward mode='nat'/></network></hookData>", none)).toBe(false);
    expect(needsWork('daemon', 'start', '', none)).toBe(false);
    expect(needsWork('daemon', 'start', '', { ...none, pfsConfigured: true })).toBe(true);
  });
});
