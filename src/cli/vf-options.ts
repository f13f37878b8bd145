/** The VF settings options `attach` takes, parsed and validated into VfSettings. */
import type { Command } from 'commander';
import { compact, validateSettings, type VfSettings } from '../model/vf-settings.js';
import { parseInteger, parseLinkState, parseMac, parseOnOff, parseVlan } from '../model/admin-values.js';

export interface VfOptionValues {
  mac?: string;
  vlan?: string;
  trust?: string;
  spoofchk?: string;
  linkState?: string;
  minTxRate?: string;
  maxTxRate?: string;
  queryRss?: string;
}

/** `mac: false` for a command whose --mac names a NIC rather than sets one (set). */
export function withVfOptions(cmd: Command, { mac = true } = {}): Command {
  if (mac) cmd.option('--mac <mac>', 'the guest\'s MAC (default: a generated one, unique on the host)');
  return cmd
    .option('--vlan <tag[:qos]>', '802.1Q VLAN 1-4094, optional 802.1p priority 0-7 (403 or 403:3)')
    .option('--trust <on|off>', 'let the guest change its MAC and use promiscuous/multicast modes')
    .option('--spoofchk <on|off>', 'drop frames whose source MAC is not the VF\'s')
    .option('--link-state <auto|enable|disable>', 'follow the PF\'s link, or force it')
    .option('--min-tx-rate <mbps>', 'guaranteed transmit rate, Mbit/s')
    .option('--max-tx-rate <mbps>', 'transmit rate limit, Mbit/s (0: none)')
    .option('--query-rss <on|off>', 'let the guest query the RSS configuration');
}

export function vfSettingsFrom(o: VfOptionValues, device: string): VfSettings {
  return validateSettings(compact({
    mac: o.mac === undefined ? undefined : parseMac(o.mac),
    vlan: o.vlan === undefined ? undefined : parseVlan(o.vlan, '--vlan'),
    trust: o.trust === undefined ? undefined : parseOnOff(o.trust, '--trust'),
    spoofchk: o.spoofchk === undefined ? undefined : parseOnOff(o.spoofchk, '--spoofchk'),
    linkState: o.linkState === undefined ? undefined : parseLinkState(o.linkState),
    minTxRate: o.minTxRate === undefined ? undefined : parseInteger(o.minTxRate, '--min-tx-rate'),
    maxTxRate: o.maxTxRate === undefined ? undefined : parseInteger(o.maxTxRate, '--max-tx-rate'),
    queryRss: o.queryRss === undefined ? undefined : parseOnOff(o.queryRss, '--query-rss'),
  }), device);
}
