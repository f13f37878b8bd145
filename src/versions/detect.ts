/** The libvirt and QEMU versions of this host, from their binaries' --version. */
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { OperationError } from '../errors.js';
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
function installed(binaries: readonly string[], dirs: readonly string[]): string[] {
  return binaries.flatMap((bin) => dirs.map((dir) => join(dir, bin))).filter((path) => {
    try {
      if (!statSync(path).isFile()) return false;
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function firstVersion(binaries: readonly string[], dirs: readonly string[], what: string): Promise<Version> {
  // the first one that answers: a binary can be there and still fail (a broken install)
  for (const path of installed(binaries, dirs)) {
    const r = await execa(path, ['--version'], { reject: false, timeout: 10_000 });
    if (r.exitCode === 0 && r.stdout) return parseVersion(r.stdout.split('\n')[0]!, `${what} version`);
  }
  throw new OperationError(`could not find ${what} on this host (looked for ${binaries.join(', ')} in ${dirs.join(', ')})`,
    what === 'libvirt' ? 'install libvirt-daemon-system, or give the versions with --for-libvirt/--for-qemu'
      : 'install qemu-system-x86, or give the versions with --for-libvirt/--for-qemu');
}

/** `dirs`: where to look (tests give their own). Both programs are asked at once. */
export async function detectVersions(dirs: readonly string[] = SEARCH_PATH): Promise<HostVersions> {
  // settled, not all: a failure of one must not leave the other's process running unawaited
  const [libvirt, qemu] = await Promise.allSettled([firstVersion(LIBVIRT_BINARIES, dirs, 'libvirt'), firstVersion(QEMU_BINARIES, dirs, 'qemu')]);
  if (libvirt.status === 'rejected') throw libvirt.reason;
  if (qemu.status === 'rejected') throw qemu.reason;
  return { libvirt: libvirt.value, qemu: qemu.value };
}
