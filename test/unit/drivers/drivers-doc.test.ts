import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { DRIVER_PROFILES, type Capability, type DriverProfile } from '../../../src/drivers/driver-profiles.js';

const DOC = readFileSync(new URL('../../../docs/drivers.md', import.meta.url), 'utf8');

/** Each capability as `ip link set ... vf N` spells it. */
const IP_WORD: Record<Capability, string> = {
  mac: 'mac', vlan: 'vlan', vlanQos: 'qos', spoofchk: 'spoofchk', trust: 'trust', minTxRate: 'min_tx_rate', maxTxRate: 'max_tx_rate',
  linkState: 'state', queryRss: 'query_rss',
};
const FIELD_WORD: Record<string, string> = { spoofchk: 'spoofchk', trust: 'trust', queryRss: 'query_rss', maxTxRate: 'max_tx_rate' };

function row(p: DriverProfile): string {
  const sets = p.sets.map((c) => (c === 'linkState' && p.linkStates ? `state (${p.linkStates.join(', ')})` : IP_WORD[c])).join(', ');
  const list = (xs: readonly string[]) => (xs.length ? xs.map((x) => FIELD_WORD[x] ?? x).join(', ') : '-');
  const quirks = p.quirks.length
    ? p.quirks.map((q) => (q === 'untrusted-filter-limits' && p.untrustedLimits ? `${q} (${p.untrustedLimits.macs} MACs, ${p.untrustedLimits.vlans} VLANs)` : q)).join(', ')
    : '-';
  return `| ${p.driver} | ${p.nics} | ${sets} | ${list(p.reports)} | ${list(p.fixedReports)} | ${p.zeroMac} | ${quirks} |`;
}

describe('docs/drivers.md', () => {
  test.each(DRIVER_PROFILES.map((p) => [p.driver, p] as const))('its matrix row for %s says what the table says', (_d, p) => {
    expect(DOC.split('\n')).toContain(row(p));
  });

  test.each(DRIVER_PROFILES.map((p) => [p.driver, p] as const))('its traffic counter row for %s says what the table says', (_d, p) => {
    expect(DOC.split('\n')).toContain(`| ${p.driver} | ${p.vfStats ? 'yes' : 'no'} |`);
  });

  test('every profile names where its facts come from', () => {
    for (const p of DRIVER_PROFILES) expect(p.sources.length).toBeGreaterThan(0);
  });
});
