import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../src/errors.js';
import { formatSetting, isEmpty, omit, pick, RATE_MAX, validateSettings, type VfSettings } from '../../../src/model/vf-settings.js';
import { parseInteger, parseOnOff, parseVlan } from '../../../src/model/admin-values.js';

const DEVICE = 'domain vm1, hostdev 0000:01:10.2';

function problem(s: VfSettings): InputError {
  try {
    validateSettings(s, DEVICE);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be refused`);
}

describe('every invalid value is an error that names the device and what is allowed', () => {
  test.each<[string, VfSettings, string]>([
    ['a multicast MAC', { mac: '01:00:5e:00:00:01' }, "MAC '01:00:5e:00:00:01' is a multicast address (the first octet is odd)"],
    ['the broadcast MAC', { mac: 'ff:ff:ff:ff:ff:ff' }, "MAC 'ff:ff:ff:ff:ff:ff' is a multicast address (the first octet is odd)"],
    ['an all-zero MAC', { mac: '00:00:00:00:00:00' }, "MAC '00:00:00:00:00:00' is all zeros"],
    ['a MAC with five octets', { mac: '52:54:00:aa:bb' }, "MAC '52:54:00:aa:bb' is not a MAC address (six hex pairs separated by colons)"],
    ['a MAC with dashes', { mac: '52-54-00-aa-bb-cc' }, "MAC '52-54-00-aa-bb-cc' is not a MAC address (six hex pairs separated by colons)"],
    ['VLAN 0', { vlan: { id: 0 } }, 'VLAN 0 is out of range (1-4094)'],
    ['VLAN 4095', { vlan: { id: 4095 } }, 'VLAN 4095 is out of range (1-4094)'],
    ['VLAN 5000', { vlan: { id: 5000 } }, 'VLAN 5000 is out of range (1-4094)'],
    ['a negative VLAN', { vlan: { id: -1 } }, 'VLAN -1 is out of range (1-4094)'],
    ['QoS 8', { vlan: { id: 10, qos: 8 } }, 'VLAN QoS 8 is out of range (0-7)'],
    ['a negative QoS', { vlan: { id: 10, qos: -1 } }, 'VLAN QoS -1 is out of range (0-7)'],
    ['an unknown link state', { linkState: 'up' as never }, "link state 'up' is unknown (allowed: auto, enable, disable)"],
    ['a negative min rate', { minTxRate: -1 }, 'min tx rate -1 is out of range (0-4294967295 Mbit/s)'],
    ['a negative max rate', { maxTxRate: -100 }, 'max tx rate -100 is out of range (0-4294967295 Mbit/s)'],
    ['a rate beyond u32', { maxTxRate: RATE_MAX + 1 }, 'max tx rate 4294967296 is out of range (0-4294967295 Mbit/s)'],
    ['a fractional rate', { maxTxRate: 1.5 }, 'max tx rate 1.5 is out of range (0-4294967295 Mbit/s)'],
    ['min above max', { minTxRate: 500, maxTxRate: 100 }, 'min tx rate 500 is above max tx rate 100 Mbit/s'],
  ])('%s', (_why, settings, message) => {
    const e = problem(settings);
    expect(e.message).toBe(`${DEVICE}: ${message}`);
    expect(e.exitCode).toBe(2);
    expect(e.fix).toBeTruthy();
  });

  test('the fixes say what to give', () => {
    expect(problem({ vlan: { id: 0 } }).fix).toMatch(/1 to 4094.*leave the VLAN out for untagged/);
    expect(problem({ vlan: { id: 1, qos: 9 } }).fix).toMatch(/0 to 7/);
    expect(problem({ mac: '01:00:00:00:00:00' }).fix).toMatch(/unicast MAC such as 52:54:00:12:34:56/);
    expect(problem({ minTxRate: 2, maxTxRate: 1 }).fix).toMatch(/maximum to 0 \(no limit\)/);
  });
});

describe('valid values pass unchanged, boundaries included', () => {
  test.each<[string, VfSettings]>([
    ['VLAN 1', { vlan: { id: 1 } }],
    ['VLAN 4094 with QoS 7', { vlan: { id: 4094, qos: 7 } }],
    ['QoS 0', { vlan: { id: 403, qos: 0 } }],
    ['a locally administered MAC', { mac: '52:54:00:aa:bb:cc' }],
    ['a vendor MAC', { mac: 'de:ad:fe:ed:ff:01' }],
    ['each link state', { linkState: 'disable' }],
    ['rates 0 and u32 max', { minTxRate: 0, maxTxRate: RATE_MAX }],
    ['a min rate with no max (0 = no limit)', { minTxRate: 500, maxTxRate: 0 }],
    ['min equal to max', { minTxRate: 100, maxTxRate: 100 }],
    ['everything', { mac: '52:54:00:aa:bb:cc', vlan: { id: 403, qos: 3 }, trust: true, spoofchk: false, linkState: 'auto', minTxRate: 10, maxTxRate: 100, queryRss: true }],
  ])('%s', (_why, settings) => {
    expect(validateSettings(settings, DEVICE)).toBe(settings);
  });
});

describe('values as admins type them', () => {
  test('VLAN: TAG or TAG:QOS', () => {
    expect(parseVlan('403')).toEqual({ id: 403 });
    expect(parseVlan('403:3')).toEqual({ id: 403, qos: 3 });
    expect(parseVlan(' 42 ')).toEqual({ id: 42 });
  });

  test.each([['403:3:1', /'403:3:1' is not a VLAN/], ['abc', /'abc' is not a whole number/], ['', /'' is not a whole number/], ['403:x', /QoS 'x' is not a whole number/]])(
    'VLAN %j is refused', (text, message) => {
      expect(() => parseVlan(text, '--vlan')).toThrow(message);
    },
  );

  test('on/off and their synonyms, any case', () => {
    expect(['on', 'ON', 'yes', 'true'].map((t) => parseOnOff(t, 'trust'))).toEqual([true, true, true, true]);
    expect(['off', 'Off', 'no', 'false'].map((t) => parseOnOff(t, 'trust'))).toEqual([false, false, false, false]);
    expect(() => parseOnOff('1', 'spoofchk')).toThrow("spoofchk '1' is neither on nor off");
  });

  test('whole numbers only', () => {
    expect(parseInteger(' 100 ', 'rate')).toBe(100);
    expect(parseInteger('-5', 'rate')).toBe(-5); // parsed, then refused by validateSettings with the range
    for (const bad of ['1.5', '1e3', '0x10', '', 'ten']) expect(() => parseInteger(bad, 'rate')).toThrow(InputError);
  });

  test('settings print as an admin writes them', () => {
    const s: VfSettings = { vlan: { id: 403, qos: 3 }, trust: true, spoofchk: false, maxTxRate: 100 };
    expect(['vlan', 'trust', 'spoofchk', 'maxTxRate', 'mac'].map((k) => formatSetting(k as keyof VfSettings, s))).toEqual(['403:3', 'on', 'off', '100', undefined]);
    expect(formatSetting('vlan', { vlan: { id: 42 } })).toBe('42');
  });

  test('pick, omit and isEmpty drop what is not set', () => {
    const s: VfSettings = { mac: '52:54:00:aa:bb:cc', vlan: { id: 1 }, trust: false };
    expect(pick(s, ['mac', 'linkState'])).toEqual({ mac: '52:54:00:aa:bb:cc' });
    expect(omit(s, ['mac', 'vlan'])).toEqual({ trust: false });
    expect(isEmpty({})).toBe(true);
    expect(isEmpty({ trust: false })).toBe(false);
    expect(isEmpty({ mac: undefined })).toBe(true);
  });
});
