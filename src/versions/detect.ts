/** The libvirt and QEMU versions of this host, from their binaries' --version. */
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

async function firstVersion(binaries: readonly string[], what: string): Promise<Version> {
  for (const bin of binaries) {
    for (const dir of SEARCH_PATH) {
      const r = await execa(`${dir}/${bin}`, ['--version'], { reject: false, timeout: 10_000 });
      if (r.exitCode === 0 && r.stdout) return parseVersion(r.stdout.split('\n')[0]!, `${what} version`);
    }
  }
  throw new OperationError(`could not find ${what} on this host (looked for ${binaries.join(', ')})`,
    what === 'libvirt' ? 'install libvirt-daemon-system, or give the versions with --for-libvirt/--for-qemu'
      : 'install qemu-system-x86, or give the versions with --for-libvirt/--for-qemu');
}

export async function detectVersions(): Promise<HostVersions> {
  const [libvirt, qemu] = await Promise.all([firstVersion(LIBVIRT_BINARIES, 'libvirt'), firstVersion(QEMU_BINARIES, 'qemu')]);
  return { libvirt, qemu };
}
