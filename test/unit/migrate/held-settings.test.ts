/**
 * What a running guest's VFs carry goes with it (migrate/held-settings.ts): a NIC hot-plugged by
 * `attach --live` or changed by `set --live` has settings its live XML doesn't show, only its VF's
 * record on the source. The destination readies its VF from the XML it is sent, and a rollback
 * plugs the NIC back in from the same: each must get what the VF carried, not what the guest was
 * started with. On libvirt's own XML (captured hook stdin: a running guest's live XML).
 */
import { describe, expect, test } from '@jest/globals';
import { carryHeldSettings } from '../../../src/migrate/held-settings.js';
import { destinationXml, type PlannedNic } from '../../../src/migrate/move.js';
import { guestDesired } from '../../../src/plan/guest-vf.js';
import { CLEAN_VF, type VfDesired, type VfSnapshot } from '../../../src/plan/vf-snapshot.js';
import type { VfSettings } from '../../../src/model/vf-settings.js';
import { DomainXml } from '../../../src/xml/domain.js';
import { removeElement } from '../../../src/xml/edit.js';
import { captureStdin } from '../../support/fake-host.js';
import { withMetadata } from '../../support/hook-bench.js';

const ctx = { isVf: () => true, isHostdevNetwork: () => false };
const clean = CLEAN_VF as VfSnapshot;
/** The record's `guest` as a hook or `attach --live` writes it: guestDesired over a clean igb VF. */
const given = (asked: VfSettings): VfDesired => guestDesired(asked, clean, null);
const carried = (xml: string, held: VfDesired, vlanInXml = true) => {
  const d = DomainXml.parse(xml, 'live');
  const vf = d.pciSources()[0]?.label.split(' ')[1] ?? '0000:01:10.2'; // the captures' guests have one VF each
  const labels = carryHeldSettings(d, ctx, new Map([[vf, held]]), vlanInXml);
  return { labels, domain: DomainXml.parse(d.toString(), 'carried') };
};

describe('a <hostdev> hot-plugged with attach --live (no metadata in the live XML)', () => {
  const live = captureStdin('qemu.l2-hostdev.start.begin.xml');

  test('its MAC, VLAN and every asked setting go into the XML, keyed by its VF', () => {
    expect(DomainXml.parse(live, 'live').sriovDevices(ctx)[0]!.settings).toEqual({});
    const { labels, domain } = carried(live, given({ mac: '52:54:00:ee:00:01', vlan: { id: 470 }, trust: true, maxTxRate: 100 }));
    expect(labels).toEqual(['hostdev 0000:01:10.2']);
    expect(domain.sriovDevices(ctx)[0]!.settings).toEqual({ mac: '52:54:00:ee:00:01', vlan: { id: 470 }, trust: true, maxTxRate: 100 });
  });

  test('so the NIC arrives on the destination VF with them, though the XML sent is read once it is unplugged', () => {
    const held = given({ mac: '52:54:00:ee:00:01', vlan: { id: 470 } });
    const { domain } = carried(live, held);
    const device = domain.sriovDevices(ctx)[0]!;
    // the XML read after the unplug: the NIC gone, and with it anything to carry its settings
    const after = DomainXml.parse(live, 'unplugged');
    removeElement(after.sriovDevices(ctx)[0]!.element);
    const unplugged = carried(after.toString(), held).domain.toString();
    const nic: PlannedNic = {
      move: { nic: { label: device.label, style: 'hostdev', vf: '0000:01:10.2', network: null, failover: false }, unplug: true, to: 'vf', sourcePf: 'eth0', pf: 'eth0', vf: '0000:01:10.4', by: 'physical network lab' },
      device,
    };
    const sent = DomainXml.parse(destinationXml(unplugged, 'l2-hostdev', [nic], [nic]), 'sent');
    expect(sent.arrivingDevices(ctx).map((d) => [d.label, d.settings])).toEqual([
      ['hostdev 0000:01:10.4', { mac: '52:54:00:ee:00:01', vlan: { id: 470 } }],
    ]);
  });

  test('libvirt\'s stand-in for no MAC (a VF of a driver that refuses zeros, adopted as it was) is no MAC asked', () => {
    const { domain } = carried(live, { ...given({ vlan: { id: 470 } }), mac: '02:00:00:00:00:00' });
    expect(domain.sriovDevices(ctx)[0]!.settings).toEqual({ vlan: { id: 470 } });
  });

  test('the defaults a guest gets anyway are not asked of the destination (its driver may lack them)', () => {
    const { domain } = carried(live, { ...given({ mac: '52:54:00:ee:00:01' }), linkState: 'auto', minTxRate: 0, maxTxRate: 0, queryRss: false });
    expect(domain.sriovDevices(ctx)[0]!.settings).toEqual({ mac: '52:54:00:ee:00:01' });
  });
});

describe('an <interface type=hostdev> changed by set --live', () => {
  const started = withMetadata(captureStdin('qemu.l2-iface.start.begin.xml'), ["<sriov:vf interface-mac='52:54:00:aa:00:01' trust='on'/>"]);

  test('the new VLAN goes in its <vlan>, the rest of the device as libvirt wrote it; trust taken away is no longer asked', () => {
    const { domain } = carried(started, given({ mac: '52:54:00:aa:00:01', vlan: { id: 482 } }));
    const d = domain.sriovDevices(ctx)[0]!;
    expect(d.settings).toEqual({ mac: '52:54:00:aa:00:01', vlan: { id: 482 } });
    const xml = domain.toString();
    expect(xml).toContain("<tag id='482'/>");
    expect(xml).toContain("<alias name='hostdev0'/>");
    expect(xml).toContain("<address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>");
  });

  test('a VLAN priority goes to metadata, the bare tag stays in the XML (libvirt tags it as it plugs it in)', () => {
    const { domain } = carried(started, given({ mac: '52:54:00:aa:00:01', vlan: { id: 403, qos: 3 }, trust: true }));
    expect(domain.toString()).toContain("<tag id='403'/>");
    expect(domain.sriovDevices(ctx)[0]!.settings).toEqual({ mac: '52:54:00:aa:00:01', vlan: { id: 403, qos: 3 }, trust: true });
  });

  test('what the VF carries is what the XML says already: nothing rewritten', () => {
    const { labels, domain } = carried(started, given({ mac: '52:54:00:aa:00:01', vlan: { id: 403 }, trust: true }));
    expect(labels).toEqual([]);
    expect(domain.toString()).toBe(DomainXml.parse(started, 'same').toString());
  });
});

test('a VF with no record of this guest is left as the XML has it', () => {
  const live = captureStdin('qemu.l2-hostdev.start.begin.xml');
  const d = DomainXml.parse(live, 'live');
  expect(carryHeldSettings(d, ctx, new Map(), true)).toEqual([]);
  expect(d.toString()).toBe(DomainXml.parse(live, 'same').toString());
});

describe('two <hostdev> NICs whose VFs swap places on the destination', () => {
  // the capture's guest with a second NIC on VF 10.4; NIC 1 goes to 10.4 there, NIC 2 to 10.2
  const base = captureStdin('qemu.l2-hostdev.start.begin.xml');
  const second = base.slice(base.indexOf('    <hostdev '), base.indexOf('</hostdev>') + '</hostdev>\n'.length)
    .replace("function='0x2'/>\n      </source>", "function='0x4'/>\n      </source>").replace('hostdev0', 'hostdev1').replace("slot='0x02'", "slot='0x03'");
  const twoNics = base.replace('    </hostdev>\n', `    </hostdev>\n${second}`);
  const settings = ["<sriov:vf pci='0000:01:10.2' mac='52:54:00:ee:00:01' vlan='400'/>", "<sriov:vf pci='0000:01:10.4' mac='52:54:00:ee:00:02' vlan='401'/>"];
  const plan = (domain: DomainXml): PlannedNic[] => domain.sriovDevices(ctx).map((device) => {
    const vf = device.label.endsWith('10.2') ? '0000:01:10.4' : '0000:01:10.2';
    return { move: { nic: { label: device.label, style: 'hostdev', vf: device.label.split(' ')[1]!, network: null, failover: false }, unplug: true, to: 'vf', sourcePf: 'eth0', pf: 'eth0', vf, by: 'physical network lab' }, device };
  });
  const unpluggedFrom = (xml: string) => {
    const d = DomainXml.parse(xml, 'unplugged');
    for (const device of d.sriovDevices(ctx)) removeElement(device.element);
    return d.toString();
  };
  const arrivingSettings = (sent: string) => DomainXml.parse(sent, 'sent').arrivingDevices(ctx).map((d) => `${d.label} ${d.settings.mac} ${d.settings.vlan?.id}`);

  test('started with them (entries in the XML sent): each NIC keeps its own MAC and VLAN', () => {
    const running = withMetadata(twoNics, settings);
    const nics = plan(DomainXml.parse(running, 'running'));
    expect(arrivingSettings(destinationXml(unpluggedFrom(running), 'l2-hostdev', nics, nics))).toEqual([
      'hostdev 0000:01:10.4 52:54:00:ee:00:01 400', 'hostdev 0000:01:10.2 52:54:00:ee:00:02 401',
    ]);
  });

  test('plugged in live (entries only as planned): each NIC keeps its own MAC and VLAN', () => {
    const d = DomainXml.parse(twoNics, 'running');
    carryHeldSettings(d, ctx, new Map([
      ['0000:01:10.2', given({ mac: '52:54:00:ee:00:01', vlan: { id: 400 } })],
      ['0000:01:10.4', given({ mac: '52:54:00:ee:00:02', vlan: { id: 401 } })],
    ]), true);
    const nics = plan(d);
    expect(arrivingSettings(destinationXml(unpluggedFrom(twoNics), 'l2-hostdev', nics, nics))).toEqual([
      'hostdev 0000:01:10.4 52:54:00:ee:00:01 400', 'hostdev 0000:01:10.2 52:54:00:ee:00:02 401',
    ]);
  });
});
