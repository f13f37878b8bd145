/**
 * Every driver profile, every style: a guest that asks for all its driver can do starts with it
 * and leaves nothing behind; a guest that asks for more is refused at prepare, naming the driver,
 * with nothing changed. The fake host answers as each driver does (its profile).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { DRIVER_PROFILES, ZERO_MAC, ZERO_MAC_FALLBACK, type Capability, type DriverProfile } from '../../../src/drivers/driver-profiles.js';
import { captureStdin, type FakeVfState } from '../../support/fake-host.js';
import { HookBench, withMetadata } from '../../support/hook-bench.js';

/** Each setting a guest can ask for, as a metadata attribute, and how the fake host shows it taken. */
const ASK: Record<Exclude<Capability, 'mac' | 'vlan'>, { attr: string; value: string; shows: Partial<FakeVfState> }> = {
  vlanQos: { attr: 'qos', value: '3', shows: { qos: 3 } },
  trust: { attr: 'trust', value: 'on', shows: { trust: true } },
  spoofchk: { attr: 'spoofchk', value: 'off', shows: { spoofchk: false } },
  linkState: { attr: 'link-state', value: 'disable', shows: { link_state: 'disable' } },
  maxTxRate: { attr: 'max-tx-rate', value: '100', shows: { max_tx: 100 } },
  minTxRate: { attr: 'min-tx-rate', value: '10', shows: { min_tx: 10 } },
  queryRss: { attr: 'query-rss', value: 'on', shows: { query_rss: true } },
};
const EXTRAS = Object.keys(ASK) as (keyof typeof ASK)[];

type Style = 'hostdev' | 'interface' | 'network';
const STYLES: Style[] = ['hostdev', 'interface', 'network'];
/** The captures' guests: which VF each style's guest gets, and its MAC. */
const GUEST = {
  hostdev: { name: 'l2-hostdev', vf: 1, key: "pci='0000:01:10.2' mac='de:ad:fe:ed:ff:01' vlan='403'", mac: 'de:ad:fe:ed:ff:01', files: 'l2-hostdev' },
  interface: { name: 'l2-iface', vf: 0, key: "interface-mac='52:54:00:aa:00:01'", mac: '52:54:00:aa:00:01', files: 'l2-iface' },
  network: { name: 'l2-net', vf: 0, key: "interface-mac='52:54:00:bb:00:01'", mac: '52:54:00:bb:00:01', files: 'l2-net' },
} as const;

function entryFor(style: Style, extras: readonly (keyof typeof ASK)[]): string {
  // a QoS rides on the VLAN, which only the plain <hostdev>'s metadata gives
  const attrs = extras.filter((c) => style === 'hostdev' || c !== 'vlanQos').map((c) => `${ASK[c].attr}='${ASK[c].value}'`);
  return `<sriov:vf ${GUEST[style].key} ${attrs.join(' ')}/>`;
}

/** What a guest on this driver may ask: every extra the driver sets (a link state it really applies). */
function doable(p: DriverProfile): (keyof typeof ASK)[] {
  return EXTRAS.filter((c) => p.sets.includes(c) && (c !== 'linkState' || !p.linkStates || p.linkStates.includes('disable')));
}

let bench: HookBench;
afterEach(() => bench?.remove());

async function run(style: Style, op: string, entry: string) {
  const g = GUEST[style];
  const file = op === 'release' ? (style === 'network' ? 'release' : 'stopped') : op;
  const xml = withMetadata(captureStdin(`qemu.${g.files}.${file}.${op === 'stopped' || op === 'release' ? 'end' : 'begin'}.xml`), [entry]);
  return bench.run('qemu', `${g.name} ${op} ${op === 'stopped' || op === 'release' ? 'end' : 'begin'} -`, xml);
}

async function startGuest(style: Style, entry: string) {
  const g = GUEST[style];
  const p = await run(style, 'prepare', entry);
  if (p.exitCode !== 0) return p;
  if (style === 'network') {
    const c = await bench.run('network', 'sriov port-created begin -', captureStdin('network.sriov.port-created.begin.xml'));
    if (c.exitCode !== 0) return c;
  }
  if (style !== 'hostdev') bench.host.setVf('eth0', g.vf, { mac: g.mac, vlan: 403 }); // libvirt's part
  return run(style, 'start', entry);
}

describe.each(DRIVER_PROFILES.map((p) => [p.driver, p] as const))('%s', (_driver, profile) => {
  const pf = { name: 'eth0', pci: '0000:01:00.0', numVfs: 2, driver: profile.driver };

  test.each(STYLES)('%s: a guest asking all the driver can do gets it, and leaves nothing behind', async (style) => {
    bench = HookBench.create([pf]);
    const g = GUEST[style];
    const before = bench.host.vf('eth0', g.vf);
    const extras = doable(profile);
    const r = await startGuest(style, entryFor(style, extras));
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    const shown = Object.assign({ mac: g.mac, vlan: 403 }, ...extras.filter((c) => style === 'hostdev' || c !== 'vlanQos').map((c) => ASK[c].shows));
    expect(bench.host.vf('eth0', g.vf)).toMatchObject(shown);

    expect((await run(style, 'stopped', entryFor(style, extras))).exitCode).toBe(0);
    expect((await run(style, 'release', entryFor(style, extras))).exitCode).toBe(0);
    const after = bench.host.vf('eth0', g.vf);
    // as before the guest; a driver that refuses an all-zero MAC gets libvirt's stand-in
    const mac = before.mac === ZERO_MAC && profile.zeroMac === 'refuses' ? ZERO_MAC_FALLBACK : before.mac;
    expect(after).toEqual({ ...before, mac });
    expect(bench.log().flatMap((l) => l.notes)).not.toContainEqual(expect.stringMatching(/could not/));
    expect(bench.records()).toEqual([]);
  });

  const beyond = EXTRAS.filter((c) => !doable(profile).includes(c));
  if (beyond.length) {
    test.each(beyond)('a guest asking for %s is refused at prepare, naming the driver, and nothing changes', async (capability) => {
      bench = HookBench.create([pf]);
      const state = bench.host.load().pfs;
      const r = await run('hostdev', 'prepare', entryFor('hostdev', [capability]));
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`domain l2-hostdev: hostdev 0000:01:10\\.2 is VF 1 of PF eth0, whose driver ${profile.driver} can't do .*; nothing was changed`));
      expect(r.stderr).toContain('fix: remove this setting from the domain (virsh edit l2-hostdev)');
      expect(bench.host.load().pfs).toEqual(state);
      expect(bench.records()).toEqual([]);
    });
  }

  test('a guest asking for nothing starts: no default lands on a field the driver does not report', async () => {
    bench = HookBench.create([pf]);
    const r = await startGuest('hostdev', "<sriov:vf pci='0000:01:10.2'/>");
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    const set = bench.log().flatMap((l) => l.changes.map((c) => c.setting));
    for (const field of ['trust', 'spoofchk', 'queryRss'] as const) {
      if (!profile.reports.includes(field)) expect(set).not.toContain(field);
    }
  });
});

test('network style: a network default the VF\'s driver can\'t do is refused at port-created, before any VF changes', async () => {
  bench = HookBench.create([{ name: 'eth0', pci: '0000:01:00.0', numVfs: 2 }], { networks: { sriov: { linkState: 'enable', maxTxRate: 50 } } });
  const state = bench.host.load().pfs;
  const r = await bench.run('network', 'sriov port-created begin -', captureStdin('network.sriov.port-created.begin.xml'));
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/^virt-sriov: network sriov: VF 0000:01:10\.0 is VF 0 of PF eth0, whose driver igb can't do link state enable \(igb has no way to set a VF's link state\) \(from the network's defaults\); nothing was changed/);
  expect(r.stderr).toMatch(/fix: remove this setting from networks\.sriov in /);
  expect(bench.host.load().pfs).toEqual(state);
  expect(bench.records()).toEqual([]);
});
