/**
 * libvirt's errors sorted into what the admin must fix: the XML, this host, or the connection.
 * The messages are what libvirt 9.0 with QEMU 7.2 said to `virDomainDefineXML` on a host without
 * KVM (code, domain, message as virGetLastError gave them).
 */
import { describe, expect, test } from '@jest/globals';
import { ErrorCode, ErrorDomain } from '../../../src/libvirt/constants.js';
import { LibvirtError } from '../../../src/libvirt/error.js';

const define = (code: number, domain: number, message: string) => new LibvirtError('define domain vm1', code, domain, message);

describe('a failed define says whose problem it is, with the fix for that', () => {
  test.each([
    [ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.QEMU, "unsupported configuration: Emulator '/usr/bin/qemu-system-x86_64' does not support virt type 'kvm'", /turn on VT-x\/AMD-V in the BIOS and load kvm_intel or kvm_amd/],
    [ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.QEMU, "unsupported configuration: Emulator '/usr/bin/qemu-system-x86_64' does not support machine type 'pc-q35-99.0'", /-machine help/],
    [ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.QEMU, "unsupported configuration: No emulator found for arch 'sparc64'", /install the QEMU the XML needs/],
    [ErrorCode.SYSTEM_ERROR, ErrorDomain.QEMU, 'Cannot check QEMU binary /usr/bin/qemu-nope: No such file or directory', /install qemu-system-x86, or fix the XML's <emulator> path/],
  ])('this host: %#', (code, domain, message, fix) => {
    const e = define(code, domain, message);
    expect(e.problem).toBe('host');
    expect(e.message).toBe(`libvirt could not define domain vm1 (a problem of this host, not of the XML): ${message}`);
    expect(e.fix).toMatch(fix);
    expect(e.fix).not.toMatch(/fix the XML;/);
  });

  test.each([
    [ErrorCode.XML_ERROR, ErrorDomain.XML, "XML error: Invalid value 'lots' for element or attribute './memory[1]'", /virt-xml-validate/],
    [ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.DOMAIN, "unsupported configuration: unknown video model 'frob'", /virt-xml-validate/],
    [ErrorCode.NO_NAME, ErrorDomain.DOMAIN, 'missing name information', /virt-xml-validate/],
    [ErrorCode.OPERATION_FAILED, ErrorDomain.DOMAIN, "operation failed: domain 'u1' is already defined with uuid 11111111-2222-3333-4444-555555555555", /leave <uuid> out/],
  ])('the XML: %#', (code, domain, message, fix) => {
    const e = define(code, domain, message);
    expect(e.problem).toBe('xml');
    expect(e.message).toBe(`libvirt could not define domain vm1 (a problem in the XML): ${message}`);
    expect(e.fix).toMatch(fix);
  });

  test.each([
    [ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC, "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory", /libvirt daemon runs/],
    [ErrorCode.RPC, ErrorDomain.RPC, 'Cannot recv data: Connection reset by peer', /check the URI/],
    [ErrorCode.OPERATION_DENIED, ErrorDomain.NONE, 'operation forbidden: read only access prevents virDomainDefineXML', /run as root/],
    [ErrorCode.AUTH_FAILED, ErrorDomain.REMOTE, 'authentication failed: access denied by policy', /run as root/],
  ])('the connection: %#', (code, domain, message, fix) => {
    const e = define(code, domain, message);
    expect(e.problem).toBe('connection');
    expect(e.message).toContain('(a problem of the connection)');
    expect(e.fix).toMatch(fix);
  });

  test('whatever fails while connecting is the connection\'s, whatever the code', () => {
    const e = new LibvirtError('connect to qemu+ssh://nohost.invalid/system', ErrorCode.INTERNAL_ERROR, ErrorDomain.NONE, 'internal error: unexpected');
    expect(e.problem).toBe('connection');
    expect(e.fix).toMatch(/check the URI/);
  });

  test('an error none of the rules knows keeps libvirt\'s message and the generic advice', () => {
    const e = define(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, 'internal error: something new');
    expect(e).toMatchObject({ problem: 'other', message: 'libvirt could not define domain vm1: internal error: something new' });
    expect(e.fix).toMatch(/the same operation through virsh gives the same error/);
  });
});
