import { afterEach, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationError } from '../../../src/errors.js';
import { detectVersions } from '../../../src/versions/detect.js';
import { formatVersion } from '../../../src/versions/version.js';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Fake binaries: each prints its line (or fails) and notes in `ran` that it was run. */
function bin(dir: string, name: string, line: string | null): void {
  mkdirSync(join(root, dir), { recursive: true });
  const body = line === null ? 'exit 1' : `echo '${line}'`;
  writeFileSync(join(root, dir, name), `#!/bin/sh\necho ${dir}/${name} >> ${join(root, 'ran')}\n${body}\n`);
  chmodSync(join(root, dir, name), 0o755);
}
const ran = () => readFileSync(join(root, 'ran'), 'utf8').trim().split('\n').sort();
const dirs = () => ['sbin', 'bin', 'libexec'].map((d) => join(root, d));

describe("this host's libvirt and QEMU, from their binaries", () => {
  test('the monolithic libvirtd when there is no virtqemud, and qemu-system-x86_64: each program run once, nothing else', async () => {
    root = mkdtempSync(join(tmpdir(), 'virt-sriov-detect-'));
    bin('sbin', 'libvirtd', 'libvirtd (libvirt) 9.0.0');
    bin('bin', 'virsh', 'virsh (libvirt) 8.0.0');
    bin('bin', 'qemu-system-x86_64', 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)');
    bin('libexec', 'qemu-kvm', 'QEMU emulator version 6.0.0');
    const v = await detectVersions({ dirs: dirs() });
    expect([formatVersion(v.libvirt), formatVersion(v.qemu)]).toEqual(['9.0.0', '7.2.22']);
    expect(ran()).toEqual(['bin/qemu-system-x86_64', 'sbin/libvirtd']);
  });

  test('a binary that is there but fails is passed over for the next one', async () => {
    root = mkdtempSync(join(tmpdir(), 'virt-sriov-detect-'));
    bin('sbin', 'virtqemud', null);
    bin('bin', 'virsh', 'virsh (libvirt) 8.0.0');
    bin('libexec', 'qemu-kvm', 'QEMU emulator version 6.0.0');
    mkdirSync(join(root, 'bin', 'qemu-system-x86_64')); // a directory of that name is no binary
    const v = await detectVersions({ dirs: dirs() });
    expect([formatVersion(v.libvirt), formatVersion(v.qemu)]).toEqual(['8.0.0', '6.0.0']);
  });

  test('no QEMU at all: an error that says what was looked for and how to go on', async () => {
    root = mkdtempSync(join(tmpdir(), 'virt-sriov-detect-'));
    bin('sbin', 'libvirtd', 'libvirtd (libvirt) 9.0.0');
    const e = await detectVersions({ dirs: dirs() }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OperationError);
    expect((e as OperationError).message).toMatch(/could not find qemu on this host \(looked for qemu-system-x86_64, qemu-kvm/);
    expect((e as OperationError).fix).toMatch(/--libvirt-version\/--qemu-version/);
  });
});

describe('what the binaries said is remembered until they change', () => {
  const state = () => join(root, 'state');

  test('a second detection runs nothing; a new binary (an upgrade) is run again', async () => {
    root = mkdtempSync(join(tmpdir(), 'virt-sriov-detect-'));
    bin('sbin', 'libvirtd', 'libvirtd (libvirt) 9.0.0');
    bin('bin', 'qemu-system-x86_64', 'QEMU emulator version 7.2.22');
    const first = await detectVersions({ dirs: dirs(), cacheDir: state() });
    expect(ran()).toHaveLength(2);
    const again = await detectVersions({ dirs: dirs(), cacheDir: state() });
    expect(again).toEqual(first);
    expect(ran()).toHaveLength(2);
    bin('bin', 'qemu-system-x86_64', 'QEMU emulator version 8.0.4');
    const upgraded = await detectVersions({ dirs: dirs(), cacheDir: state() });
    expect([formatVersion(upgraded.libvirt), formatVersion(upgraded.qemu)]).toEqual(['9.0.0', '8.0.4']);
    expect(ran()).toEqual(['bin/qemu-system-x86_64', 'bin/qemu-system-x86_64', 'sbin/libvirtd']);
  });

  test('a remembered version in a file others can write is not believed', async () => {
    root = mkdtempSync(join(tmpdir(), 'virt-sriov-detect-'));
    bin('sbin', 'libvirtd', 'libvirtd (libvirt) 9.0.0');
    bin('bin', 'qemu-system-x86_64', 'QEMU emulator version 7.2.22');
    await detectVersions({ dirs: dirs(), cacheDir: state() });
    const file = join(state(), 'versions.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('7.2.22', '1.0.0'));
    chmodSync(file, 0o666);
    const v = await detectVersions({ dirs: dirs(), cacheDir: state() });
    expect(formatVersion(v.qemu)).toBe('7.2.22');
    expect(ran()).toHaveLength(4);
  });
});
