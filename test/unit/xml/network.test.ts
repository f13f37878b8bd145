import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../src/errors.js';
import { readTemplate } from '../../../src/templates.js';
import { parseHookData, parseNetworkXml, renderHostdevNetwork } from '../../../src/xml/network.js';
import { captureStdin } from '../../support/fake-host.js';
import { pci } from '../helpers.js';

describe('what libvirt 9.0 gave the network hook (captured)', () => {
  test('start begin: the pool is not expanded yet, no VFs listed', () => {
    expect(parseHookData(captureStdin('network.sriov.start.begin.xml'), 'hook stdin')).toEqual({
      network: { name: 'sriov', hostdev: true, pf: 'eth0', vfs: [], vlan: undefined },
      port: null,
    });
  });

  test('started begin: the VFs the PF was expanded into', () => {
    const { network, port } = parseHookData(captureStdin('network.sriov.started.begin.xml'), 'hook stdin');
    expect(network.vfs).toEqual([pci('0000:01:10.0'), pci('0000:01:10.2')]);
    expect(port).toBeNull();
  });

  test('port-created: the guest, its MAC and VLAN, and the VF libvirt picked', () => {
    const { port } = parseHookData(captureStdin('network.sriov.port-created.begin.xml'), 'hook stdin');
    expect(port).toEqual({
      uuid: '7870a07b-6b80-46eb-b871-fdc3132eeee9',
      owner: { name: 'l2-net', uuid: 'befeb890-a16e-4a2e-b82d-0554ccc499c9' },
      mac: '52:54:00:bb:00:01',
      vlan: { id: 403 },
      vf: pci('0000:01:10.0'),
    });
  });

  test('port-deleted names the same port', () => {
    expect(parseHookData(captureStdin('network.sriov.port-deleted.begin.xml'), 'hook stdin').port?.uuid).toBe('7870a07b-6b80-46eb-b871-fdc3132eeee9');
  });

  test('something else on stdin is an error that says what was expected', () => {
    expect(() => parseHookData(captureStdin('qemu.l2-net.start.begin.xml'), 'hook stdin')).toThrow(InputError);
    expect(() => parseHookData(captureStdin('qemu.l2-net.start.begin.xml'), 'hook stdin')).toThrow(/expected <hookData><network>/);
  });
});

describe('network XML', () => {
  test('a NAT network is no hostdev network', () => {
    const net = parseNetworkXml("<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/></network>", 'default.xml');
    expect(net).toEqual({ name: 'default', hostdev: false, pf: null, vfs: [], vlan: undefined });
  });

  test('a network without a name is an error', () => {
    expect(() => parseNetworkXml("<network><forward mode='hostdev'/></network>", 'x.xml')).toThrow('x.xml: the network has no <name>');
  });

  test('rendered from the template, with and without a VLAN, it reads back as it was asked', () => {
    const template = readTemplate('hostdev-network.xml');
    const plain = renderHostdevNetwork(template, { name: 'sriov', pf: 'eth1' });
    expect(plain).toBe(template.endsWith('\n') ? template : `${template}\n`); // the template is named sriov on eth1
    const tagged = renderHostdevNetwork(template, { name: 'vlan500', pf: 'enp3s0f1', vlan: { id: 500 } });
    expect(parseNetworkXml(tagged, 'x')).toEqual({ name: 'vlan500', hostdev: true, pf: 'enp3s0f1', vfs: [], vlan: { id: 500 } });
    expect(tagged).toContain("  </forward>\n  <vlan>\n    <tag id='500'/>\n  </vlan>\n</network>\n");
  });

  test('a template without <name> or <pf> is refused', () => {
    expect(() => renderHostdevNetwork("<network><name>x</name><forward mode='hostdev'/></network>", { name: 'a', pf: 'eth1' }))
      .toThrow(/needs <name> and <forward><pf\/><\/forward>/);
  });
});
