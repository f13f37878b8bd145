/** The libvirt and QEMU versions of this host, from their binaries' --version. */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { OperationError } from '../errors.js';
import { versionCache, type VersionCache } from './version-cache.js';
import { parseVersion, type Version } from './version.js';

/** Modular daemons first (virtqemud, libvirt >= 5.6 split), then the monolithic one, then the client. */
const LIBVIRT_BINARIES = ['virtqemud', 'libvirtd', 'virsh'];
const QEMU_BINARIES = ['qemu-system-x86_64', 'qemu-kvm', 'kvm', 'qemu-system-aarch64'];
const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/libexec'];

export interface HostVersions {
  readonly libvirt: Version;
  readonly qemu: Version;
}

/**
 * The candidates that are there, in order of preference, found with a stat each: running every
 * candidate path to see which exists cost a fork per miss (8 forks for the 2 programs).
 */
function installed(binaries: readonly string[], dirs: readonly string[]): { path: string; file: Stats }[] {
  return binaries.flatMap((bin) => dirs.map((dir) => join(dir, bin))).flatMap((path) => {
    try {
      const file = statSync(path);
      if (!file.isFile()) return [];
      accessSync(path, constants.X_OK);
      return [{ path, file }];
    } catch {
      return [];
    }
  });
}

async function firstVersion(binaries: readonly string[], dirs: readonly string[], what: string, cache: VersionCache | null): Promise<Version> {
  // the first one that answers: a binary can be there and still fail (a broken install)
  for (const { path, file } of installed(binaries, dirs)) {
    const known = cache?.get(path, file);
    if (known) return known;
    const r = await execa(path, ['--version'], { reject: false, timeout: 10_000 });
    if (r.exitCode === 0 && r.stdout) {
      const version = parseVersion(r.stdout.split('\n')[0]!, `${what} version`);
      cache?.set(path, file, version);
      return version;
    }
  }
  throw new OperationError(`could not find ${what} on this host (looked for ${binaries.join(', ')} in ${dirs.join(', ')})`,
    what === 'libvirt' ? 'install libvirt-daemon-system, or give the versions with --libvirt-version/--qemu-version'
      : 'install qemu-system-x86, or give the versions with --libvirt-version/--qemu-version');
}

/**
 * `dirs`: where to look (tests give their own). `cacheDir`: where to remember what each binary
 * said (the state dir), so it runs again only once it changes. Both programs are asked at once.
 */
export async function detectVersions(options: { dirs?: readonly string[]; cacheDir?: string } = {}): Promise<HostVersions> {
  const dirs = options.dirs ?? SEARCH_PATH;
  const cache = options.cacheDir ? versionCache(options.cacheDir) : null;
  // settled, not all: a failure of one must not leave the other's process running unawaited
  const [libvirt, qemu] = await Promise.allSettled([
    firstVersion(LIBVIRT_BINARIES, dirs, 'libvirt', cache), firstVersion(QEMU_BINARIES, dirs, 'qemu', cache),
  ]);
  cache?.save();
  if (libvirt.status === 'rejected') throw libvirt.reason;
  if (qemu.status === 'rejected') throw qemu.reason;
  return { libvirt: libvirt.value, qemu: qemu.value };
}
