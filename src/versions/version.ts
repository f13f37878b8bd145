/** Versions as libvirt and QEMU print them, compared numerically. */
import { InputError } from '../errors.js';

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly micro: number;
}

const PATTERNS: readonly RegExp[] = [
  /\(libvirt\)\s+(\d+)\.(\d+)(?:\.(\d+))?/, // libvirtd (libvirt) 9.0.0, virtqemud (libvirt) 11.3.0, virsh
  /QEMU emulator version\s+(\d+)\.(\d+)(?:\.(\d+))?/, // QEMU emulator version 7.2.22 (Debian ...)
  /^\s*v?(\d+)\.(\d+)(?:\.(\d+))?\s*$/, // 9.0.0, 1.3
];

export function parseVersion(text: string, what = 'version'): Version {
  for (const re of PATTERNS) {
    const m = re.exec(text);
    if (m) return { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3] ?? 0) };
  }
  throw new InputError(`'${text.trim()}' is not a ${what}`,
    'give X.Y.Z (e.g. 9.0.0) or the first line of `libvirtd --version` / `qemu-system-x86_64 --version`');
}

/** libvirt's packed form: major * 1000000 + minor * 1000 + micro (virConnectGetLibVersion). */
export function versionFromNumber(n: number): Version {
  return { major: Math.floor(n / 1_000_000), minor: Math.floor(n / 1000) % 1000, micro: n % 1000 };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.micro - b.micro;
}

export function atLeast(v: Version, min: Version): boolean {
  return compareVersions(v, min) >= 0;
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.micro}`;
}

export function version(text: string): Version {
  return parseVersion(text);
}

/**
 * Stands in for a QEMU version nobody knows (libvirt's test driver reports none): styles are
 * judged by libvirt's version alone.
 */
export const ANY_QEMU: Version = Object.freeze({ major: 999, minor: 0, micro: 0 });
