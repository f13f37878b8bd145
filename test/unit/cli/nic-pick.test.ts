/**
 * Which NIC of a running guest `detach --live` and `set --live` name with --mac or --vf. A
 * <hostdev> VF has no MAC in libvirt's XML: `attach --live --to hostdev --mac M` keeps M in the
 * VF's record only. The lab (96-watch) found `detach --live --mac M` of such a VF taking it for a
 * NIC already gone: it put the VF back and freed it while the guest still had it.
 */
import { describe, expect, test } from '@jest/globals';
import { findNicIn, heldVf, nicOnVf } from '../../../src/cli/nic-pick.js';
import type { VfRecord } from '../../../src/state/vf-record.js';
import { igbContext, pci } from '../helpers.js';

const FW = { name: 'fw1', uuid: '7c1b9a52-3c2e-4b8f-9d41-0a6f5e2b7c11' };
const OTHER = { name: 'db1', uuid: '0a0a0a0a-3c2e-4b8f-9d41-0a6f5e2b7c11' };

/** fw1 as it runs: VF 0 hot-plugged as a <hostdev> (no MAC in the XML), VF 1 as an interface. */
const RUNNING = `<domain type='qemu' id='3'>
  <name>fw1</name>
  <uuid>${FW.uuid}</uuid>
  <devices>
    <interface type='hostdev' managed='yes'>
      <mac address='52:54:00:dd:00:02'/>
      <source><address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></source>
      <alias name='hostdev1'/>
    </interface>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio'/>
      <source><address domain='0x0000' bus='0x01' slot='0x10' function='0x0'/></source>
      <alias name='hostdev0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>
    </hostdev>
  </devices>
</domain>`;

const record = (i: number, mac: string, patch: Partial<VfRecord> = {}): VfRecord => ({
  pf: 'eth0', index: i, pci: `0000:01:10.${i * 2}`, owner: FW, style: 'hostdev', network: null, original: null,
  guest: { mac }, phase: 'running', updated: '2026-12-06T00:00:00.000Z', ...patch,
});

/** The NIC detach --live / set --live acts on, as they decide it. */
function liveNic(xml: string, nic: { mac?: string; vf?: string }, records: VfRecord[]) {
  const choice = { ...(nic.mac ? { mac: nic.mac } : {}), ...(nic.vf ? { vf: pci(nic.vf) } : {}) };
  const found = findNicIn(igbContext(), 'fw1', xml, choice, ' (running)');
  const held = found.device ? undefined : heldVf(records, FW, choice);
  return { device: nicOnVf(found, held)?.label, held };
}

describe('the running guest NIC that --mac or --vf names', () => {
  test('a <hostdev> VF named by the MAC only its record has is the guest\'s NIC, to unplug: not a leftover to free', () => {
    const r = liveNic(RUNNING, { mac: '52:54:00:dd:00:01' }, [record(0, '52:54:00:dd:00:01'), record(1, '52:54:00:dd:00:02')]);
    expect(r).toEqual({ device: 'hostdev 0000:01:10.0', held: '0000:01:10.0' });
  });

  test('a MAC in the XML names its interface, whatever the records say', () => {
    expect(liveNic(RUNNING, { mac: '52:54:00:dd:00:02' }, []).device).toBe('interface 52:54:00:dd:00:02');
  });

  test('a VF the guest no longer has but still holds (it acknowledged the unplug late) is a leftover: no NIC, the VF to free', () => {
    const gone = RUNNING.replace(/<hostdev[\s\S]*<\/hostdev>/, '');
    expect(liveNic(gone, { mac: '52:54:00:dd:00:01' }, [record(0, '52:54:00:dd:00:01')])).toEqual({ device: undefined, held: '0000:01:10.0' });
    expect(liveNic(gone, { vf: '0000:01:10.0' }, [record(0, '52:54:00:dd:00:01')])).toEqual({ device: undefined, held: '0000:01:10.0' });
  });

  test('another guest\'s record for that MAC names nothing of this one', () => {
    expect(liveNic(RUNNING, { mac: '52:54:00:dd:00:01' }, [record(0, '52:54:00:dd:00:01', { owner: OTHER })])).toEqual({ device: undefined, held: undefined });
  });
});
