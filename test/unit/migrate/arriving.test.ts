/**
 * A plain <hostdev> guest migrated by `virt-sriov migrate`: the XML the source sends
 * (move.ts destinationXml) and what the destination's own hooks do with it on a fake host.
 * The NIC is unplugged on the source before the migration; its VF on the destination must carry
 * the guest's MAC, VLAN and every other setting before the guest sees it, recorded in the
 * destination's own state, and be put back when the guest leaves there.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { destinationXml, type PlannedNic } from '../../../src/migrate/move.js';
import { planGuest } from '../../../src/watch/reconcile.js';
import { DomainXml } from '../../../src/xml/domain.js';
import { removeElement } from '../../../src/xml/edit.js';
import { captureStdin } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

const PF = { name: 'eth0', pci: '0000:01:00.0', numVfs: 2, refuses: ['state', 'proto'] };
const SOURCE_VF = '0000:01:10.2';
const DEST_VF = '0000:01:10.0'; // eth0 vf 0 on the destination
const SETTINGS = `<sriov:vf pci='${SOURCE_VF}' mac='de:ad:fe:ed:ff:01' vlan='403' trust='on' spoofchk='off' max-tx-rate='100'/>`;
const ctx = { isVf: () => true, isHostdevNetwork: () => false };

/** The guest on the source: its live XML with the NIC, and the same XML once the NIC is unplugged. */
function sourceGuest(): { nic: PlannedNic; unplugged: string } {
  const live = DomainXml.parse(withMetadata(captureStdin('qemu.l2-hostdev.prepare.begin.xml'), [SETTINGS]), 'source');
  const device = live.sriovDevices(ctx)[0]!;
  const nic: PlannedNic = {
    move: {
      nic: { label: device.label, style: 'hostdev', vf: SOURCE_VF, network: null, failover: false },
      unplug: true, to: 'vf', sourcePf: 'eth0', pf: 'eth0', vf: DEST_VF, by: 'physical network lab',
    },
    device,
  };
  const after = DomainXml.parse(live.toString(), 'source');
  removeElement(after.sriovDevices(ctx)[0]!.element);
  return { nic, unplugged: after.toString() };
}

let bench: HookBench;
afterEach(() => bench?.remove());

describe('the XML the source sends', () => {
  test('names the destination VF: the NIC arrives on it, its settings keyed by it; the source VF is named nowhere', () => {
    const { nic, unplugged } = sourceGuest();
    const sent = DomainXml.parse(destinationXml(unplugged, 'l2-hostdev', [nic], [nic]), 'sent');
    expect(sent.sriovDevices(ctx)).toEqual([]); // not in the guest while it moves
    const arriving = sent.arrivingDevices(ctx);
    expect(arriving.map((d) => d.label)).toEqual([`hostdev ${DEST_VF}`]);
    expect(arriving[0]!.settings).toEqual({ mac: 'de:ad:fe:ed:ff:01', vlan: { id: 403 }, trust: true, spoofchk: false, maxTxRate: 100 });
    expect(sent.toString()).not.toContain("function='0x2'/>\n      </source>"); // the source VF's address is gone
    expect(sent.metadata.entries().map((e) => e.key)).toEqual([{ pci: { domain: 0, bus: 1, slot: 0x10, function: 0 } }]);
  });

  test('a definition gets no arriving list, and a list from an earlier hop is replaced', () => {
    const { nic, unplugged } = sourceGuest();
    const once = destinationXml(unplugged, 'l2-hostdev', [nic], [nic]);
    expect(DomainXml.parse(destinationXml(once, 'l2-hostdev', [], []), 'def').metadata.arriving()).toEqual([]);
    const again = { ...nic, move: { ...nic.move, vf: '0000:01:10.4' } } as PlannedNic;
    const twice = DomainXml.parse(destinationXml(once, 'l2-hostdev', [], [again]), 'again');
    expect(twice.arrivingDevices(ctx).map((d) => d.label)).toEqual(['hostdev 0000:01:10.4']);
  });
});

describe('the destination\'s hooks, on its own state', () => {
  const run = (argv: string, xml: string) => bench.run('qemu', `l2-hostdev ${argv}`, xml);

  test('prepare readies the arriving VF before QEMU runs: every setting on it, the guest\'s from then on; release puts it back', async () => {
    bench = HookBench.create([PF]);
    bench.host.setVf('eth0', 0, { mac: '02:11:22:33:44:55' });
    const before = bench.host.vf('eth0', 0);
    const { nic, unplugged } = sourceGuest();
    const sent = destinationXml(unplugged, 'l2-hostdev', [nic], [nic]);
    const migrate = await run('migrate begin -', sent);
    expect(migrate.exitCode).toBe(0);
    expect(migrate.stdout).toContain('<sriov:arriving>'); // the list reaches prepare
    expect((await run('prepare begin -', sent)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toMatchObject({ mac: 'de:ad:fe:ed:ff:01', vlan: 403, trust: true, spoofchk: false, max_tx: 100 });
    expect(bench.host.vf('eth0', 1)).toMatchObject({ vlan: 0, trust: false });
    // the guest's, as a started guest's VFs are: no hook runs when it is plugged in
    expect(bench.records()).toMatchObject([{ pci: DEST_VF, pf: 'eth0', index: 0, owner: { name: 'l2-hostdev' }, style: 'hostdev', phase: 'running' }]);
    expect(bench.lastLog().notes.join()).not.toContain("doesn't have (yet)");
    expect((await run('start begin -', sent)).exitCode).toBe(0);
    expect(bench.records()).toMatchObject([{ pci: DEST_VF, phase: 'running' }]);
    // the watcher leaves it alone while the guest's XML lists it as arriving; plugged in, it
    // checks it; gone from the guest and the list (a plain detach-device later), it frees it
    const owner = { name: 'l2-hostdev', uuid: 'a867017f-86ba-459d-b491-76e079f3a4bd' };
    const inGuest = { vf: { pf: 'eth0', index: 0, pci: DEST_VF }, label: `hostdev ${DEST_VF}`, style: 'hostdev' as const, settings: {} };
    expect(planGuest({ owner, vfs: [], arriving: new Set([DEST_VF]) }, bench.records())).toEqual([]);
    expect(planGuest({ owner, vfs: [inGuest] }, bench.records()).map((a) => a.kind)).toEqual(['check']);
    expect(planGuest({ owner, vfs: [] }, bench.records()).map((a) => a.kind)).toEqual(['unplugged']);
    // the guest leaves this host (or the migration failed): the VF as it was
    expect((await run('stopped end -', sent)).exitCode).toBe(0);
    expect((await run('release end -', sent)).exitCode).toBe(0);
    expect(bench.host.vf('eth0', 0)).toEqual(before);
    expect(bench.records()).toEqual([]);
  });

  test('an arriving VF another guest holds there refuses the migration at prepare, changing nothing', async () => {
    bench = HookBench.create([PF]);
    const other = captureStdin('qemu.l2-hostdev.prepare.begin.xml').replace(/l2-hostdev/g, 'other')
      .replace(/a867017f-86ba-459d-b491-76e079f3a4bd/g, '11111111-2222-3333-4444-555555555555').replace("slot='0x10' function='0x2'", "slot='0x10' function='0x0'");
    expect((await bench.run('qemu', 'other prepare begin -', other)).exitCode).toBe(0);
    const vfs = bench.host.load().pfs;
    const { nic, unplugged } = sourceGuest();
    const r = await run('prepare begin -', destinationXml(unplugged, 'l2-hostdev', [nic], [nic]));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/domain l2-hostdev: VF 0000:01:10\.0 \(eth0 vf 0\) is held by guest other/);
    expect(bench.host.load().pfs).toEqual(vfs);
    expect(bench.records().map((x) => x.owner.name)).toEqual(['other']);
  });
});
