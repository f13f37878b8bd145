import { describe, expect, test } from '@jest/globals';
import { STYLE_RULES, styleSupport, VLAN_IN_XML_SINCE, whyUnsupported } from '../../../src/versions/style-rules.js';
import { formatVersion, parseVersion } from '../../../src/versions/version.js';

const v = parseVersion;

describe('the table itself', () => {
  test('best first, with the minimums from the seed and libvirt history', () => {
    expect(STYLE_RULES.map((r) => [r.style, formatVersion(r.libvirt), formatVersion(r.qemu)])).toEqual([
      ['network', '0.10.0', '1.3.0'],
      ['interface', '0.9.11', '1.3.0'],
      ['hostdev', '0.0.0', '0.0.0'],
    ]);
    expect(formatVersion(VLAN_IN_XML_SINCE)).toBe('0.10.0');
  });
});

describe('row by row, at, just below and above each boundary', () => {
  test.each([
    // libvirt boundary for <interface type='hostdev'>: 0.9.11
    ['0.9.10', '1.3.0', ['hostdev'], false],
    ['0.9.11', '1.3.0', ['interface', 'hostdev'], false],
    ['0.9.12', '1.3.0', ['interface', 'hostdev'], false],
    // libvirt boundary for hostdev networks and <vlan>: 0.10.0
    ['0.9.13', '1.3.0', ['interface', 'hostdev'], false],
    ['0.10.0', '1.3.0', ['network', 'interface', 'hostdev'], true],
    ['0.10.1', '1.3.0', ['network', 'interface', 'hostdev'], true],
    // qemu boundary: 1.3
    ['0.10.0', '1.2.0', ['hostdev'], true],
    ['9.0.0', '1.2.2', ['hostdev'], true],
    ['9.0.0', '1.3.0', ['network', 'interface', 'hostdev'], true],
    ['9.0.0', '1.3.1', ['network', 'interface', 'hostdev'], true],
    ['0.9.11', '1.2.2', ['hostdev'], false],
    // Debian 7 as the seed ran it, then with qemu-kvm upgraded as the seed advises
    ['0.9.12', '1.1.2', ['hostdev'], false],
    ['0.9.12', '1.3.0', ['interface', 'hostdev'], false],
    // Debian 12, and a current pair
    ['9.0.0', '7.2.22', ['network', 'interface', 'hostdev'], true],
    ['11.3.0', '10.0.0', ['network', 'interface', 'hostdev'], true],
    // plain hostdev always
    ['0.0.1', '0.0.1', ['hostdev'], false],
  ])('libvirt %s, qemu %s: %j, VLAN in XML %s', (libvirt, qemu, supported, vlanInXml) => {
    expect(styleSupport(v(libvirt as string), v(qemu as string))).toEqual({ supported, vlanInXml });
  });
});

describe('why a style is not available, in one sentence', () => {
  test('names the version it needs and the one it got', () => {
    expect(whyUnsupported('interface', v('0.9.10'), v('7.2.0'))).toBe('interface style needs libvirt >= 0.9.11 (this is 0.9.10)');
    expect(whyUnsupported('network', v('0.9.12'), v('1.1.2'))).toBe('network style needs libvirt >= 0.10.0 (this is 0.9.12)');
    expect(whyUnsupported('network', v('9.0.0'), v('1.2.0'))).toBe('network style needs qemu >= 1.3.0 (this is 1.2.0)');
    expect(whyUnsupported('hostdev', v('0.9.12'), v('1.1.2'))).toBeNull();
    expect(whyUnsupported('network', v('0.10.0'), v('1.3.0'))).toBeNull();
  });
});
