import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../../src/errors.js';
import { atLeast, compareVersions, formatVersion, parseVersion, versionFromNumber } from '../../../src/versions/version.js';

describe('version strings as the binaries print them', () => {
  test.each([
    ['libvirtd (libvirt) 9.0.0', '9.0.0'],
    ['virtqemud (libvirt) 11.3.0', '11.3.0'],
    ['virsh (libvirt) 0.9.12', '0.9.12'],
    ['QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)', '7.2.22'],
    ['QEMU emulator version 1.1.2 (qemu-kvm-1.1.2+dfsg-6, Debian)', '1.1.2'],
    ['9.0.0', '9.0.0'],
    [' 9.0.0\n', '9.0.0'],
    ['1.3', '1.3.0'],
    ['v10.0.0', '10.0.0'],
  ])('%j -> %s', (text, expected) => {
    expect(formatVersion(parseVersion(text))).toBe(expected);
  });

  test('the Debian package suffix does not leak into the version (7.2.22, not 7.2 or 1.7)', () => {
    expect(parseVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)')).toEqual({ major: 7, minor: 2, micro: 22 });
    expect(parseVersion('QEMU emulator version 1.1.2 (qemu-kvm-1.1.2+dfsg-6, Debian)')).toEqual({ major: 1, minor: 1, micro: 2 });
  });

  test.each(['', 'abc', '9', '9.0.0.1', '9.x.0', '9.0.0-rc1', 'libvirt 9.0.0', 'x 9.0.0', 'Using library: libvirt 9.0.0'])(
    '%j is refused with a message that names it', (text) => {
      let error: unknown;
      try {
        parseVersion(text, 'libvirt version');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).message).toBe(`'${text.trim()}' is not a libvirt version`);
      expect((error as InputError).fix).toMatch(/X\.Y\.Z/);
    },
  );

  test("libvirt's packed numbers (virConnectGetLibVersion)", () => {
    expect(formatVersion(versionFromNumber(9_000_000))).toBe('9.0.0');
    expect(formatVersion(versionFromNumber(11_003_000))).toBe('11.3.0');
    expect(formatVersion(versionFromNumber(9_012))).toBe('0.9.12');
    expect(formatVersion(versionFromNumber(7_002_022))).toBe('7.2.22');
  });

  test('compared numerically, not as text', () => {
    const v = parseVersion;
    expect(compareVersions(v('0.10.0'), v('0.9.12'))).toBeGreaterThan(0);
    expect(compareVersions(v('11.3.0'), v('9.0.0'))).toBeGreaterThan(0);
    expect(compareVersions(v('1.3'), v('1.3.0'))).toBe(0);
    expect(atLeast(v('0.9.11'), v('0.9.11'))).toBe(true);
    expect(atLeast(v('0.9.10'), v('0.9.11'))).toBe(false);
    expect(atLeast(v('1.2.99'), v('1.3.0'))).toBe(false);
  });
});
