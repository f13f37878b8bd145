/**
 * The VF port over iproute2: typed operations rendered as `ip link set` lines, all of a call in
 * one `ip -batch -`, and a refusal mapped back to the operation it came from.
 */
import { describe, expect, test } from '@jest/globals';
import { OperationError } from '../../../src/errors.js';
import { ipTool, type IpTool } from '../../../src/host/ip.js';
import { ipLinkWords } from '../../../src/host/ip-link.js';
import { ipVfPort, isVfOpsFailed, type VfOp } from '../../../src/host/vf-port.js';

const vf = { pf: 'eth0', index: 1 };
const line = (op: VfOp) => ipLinkWords(op).join(' ');

describe('ipLinkWords: one `ip link set` line per operation', () => {
  test('each setting in iproute2\'s words', () => {
    expect(line({ vf, key: 'mac', value: 'de:ad:fe:ed:ff:01' })).toBe('link set dev eth0 vf 1 mac de:ad:fe:ed:ff:01');
    expect(line({ vf, key: 'vlan', value: { id: 403 } })).toBe('link set dev eth0 vf 1 vlan 403');
    expect(line({ vf, key: 'vlan', value: { id: 403, qos: 0 } })).toBe('link set dev eth0 vf 1 vlan 403 qos 0');
    expect(line({ vf, key: 'vlan', value: null })).toBe('link set dev eth0 vf 1 vlan 0');
    expect(line({ vf, key: 'spoofchk', value: false })).toBe('link set dev eth0 vf 1 spoofchk off');
    expect(line({ vf, key: 'trust', value: true })).toBe('link set dev eth0 vf 1 trust on');
    expect(line({ vf, key: 'linkState', value: 'disable' })).toBe('link set dev eth0 vf 1 state disable');
    expect(line({ vf, key: 'txRate', value: { min: 0, max: 1000 } })).toBe('link set dev eth0 vf 1 min_tx_rate 0 max_tx_rate 1000');
    expect(line({ vf, key: 'queryRss', value: true })).toBe('link set dev eth0 vf 1 query_rss on');
  });
});

/** An IpTool that records its batches and fails as `fail` says. */
function recordingIp(fail?: string): IpTool & { batches: string[][] } {
  const batches: string[][] = [];
  return {
    batches,
    show: async () => { throw new Error('not read here'); },
    showAll: async () => { throw new Error('not read here'); },
    batch: async (commands) => {
      batches.push(commands.map((c) => c.join(' ')));
      if (fail) throw new OperationError(fail);
    },
  };
}

describe('ipVfPort', () => {
  test('every operation of a call in one ip -batch, in order; none at all: no ip', async () => {
    const ip = recordingIp();
    const port = ipVfPort(ip);
    await port.apply([{ vf, key: 'mac', value: '02:11:22:33:44:55' }, { vf: { pf: 'eth1', index: 0 }, key: 'trust', value: false }]);
    await port.apply([]);
    expect(ip.batches).toEqual([['link set dev eth0 vf 1 mac 02:11:22:33:44:55', 'link set dev eth1 vf 0 trust off']]);
  });

  test('bringing a PF up is its own line', async () => {
    const ip = recordingIp();
    await ipVfPort(ip).bringUp('eth0');
    expect(ip.batches).toEqual([['link set dev eth0 up']]);
  });

  test('a refusal names the operation it came from, the kernel\'s reason, and the command to try by hand', async () => {
    const ip = recordingIp('ip -batch - failed: RTNETLINK answers: Operation not supported; Command failed -:2');
    const e = await ipVfPort(ip).apply([{ vf, key: 'mac', value: '02:11:22:33:44:55' }, { vf, key: 'linkState', value: 'enable' }]).then(() => null, (x: unknown) => x);
    expect(isVfOpsFailed(e)).toBe(true);
    expect(e).toMatchObject({ failedAt: 1, reason: 'RTNETLINK answers: Operation not supported', command: 'ip link set dev eth0 vf 1 state enable' });
  });

  test('a failure that names no line names no operation', async () => {
    const e = await ipVfPort(recordingIp('spawn ip ENOENT')).apply([{ vf, key: 'trust', value: true }]).then(() => null, (x: unknown) => x);
    expect(e).toMatchObject({ failedAt: null, reason: 'spawn ip ENOENT', command: null });
  });

  test('a value ip -batch would split never reaches ip', async () => {
    const e = await ipVfPort(ipTool(['/nonexistent/ip'])).apply([{ vf, key: 'mac', value: 'de:ad beef' }]).then(() => null, (x: Error) => x);
    expect(isVfOpsFailed(e)).toBe(true);
    expect(e!.message).toMatch(/unsafe ip argument/);
  });
});
