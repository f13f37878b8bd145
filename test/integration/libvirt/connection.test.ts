import { afterEach, describe, expect, test } from '@jest/globals';
import { hostname } from 'node:os';
import { OperationError } from '../../../src/errors.js';
import {
  clientLibraryVersion,
  ErrorCode,
  ErrorDomain,
  LibvirtError,
  openLibvirt,
  withLibvirt,
  type LibvirtConnection,
} from '../../../src/libvirt/index.js';
import { catchError } from './catch-error.js';
import { captureStderr, withCEnv } from './native.js';

const URI = 'test:///default';

describe('a connection to the test driver', () => {
  let conn: LibvirtConnection | undefined;
  afterEach(() => conn?.close());

  test('reports the URI, versions, hypervisor type and host name', () => {
    conn = openLibvirt({ uri: URI });
    expect(conn.uri).toBe(URI);
    expect(conn.readOnly).toBe(false);
    // In-process driver: the connection's libvirt is this process's libvirt.so.
    expect(conn.libraryVersion()).toEqual(clientLibraryVersion());
    expect(conn.libraryVersion().major).toBeGreaterThanOrEqual(9);
    expect(conn.hypervisorVersion()).toEqual({ major: 0, minor: 0, micro: 2 }); // the test driver's fixed answer
    expect(conn.hypervisorType()).toBe('TEST');
    expect(conn.hostname()).toBe(hostname());
  });

  test('reports host capabilities; domain capabilities are not in the test driver', () => {
    conn = openLibvirt({ uri: URI });
    expect(conn.capabilities()).toMatch(/^<capabilities>[\s\S]*<host>[\s\S]*<guest>/);
    const err = catchError(() => conn!.domainCapabilities({ virtType: 'kvm' }));
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: ErrorCode.NO_SUPPORT, exitCode: 1 });
    expect((err as LibvirtError).message).toMatch(/^libvirt could not report the domain capabilities of test:\/\/\/default: .*not supported/);
  });

  test('without a URI, libvirt takes $LIBVIRT_DEFAULT_URI', () => {
    conn = withCEnv('LIBVIRT_DEFAULT_URI', URI, () => openLibvirt());
    expect(conn.uri).toBe(URI);
  });

  test('read-only: queries work, changes are refused with OPERATION_DENIED', () => {
    conn = openLibvirt({ uri: URI, readOnly: true });
    expect(conn.readOnly).toBe(true);
    expect(conn.domains.lookup('test')?.name).toBe('test');
    const err = catchError(() => conn!.domains.define("<domain type='test'><name>ro</name></domain>"));
    expect(err).toMatchObject({ code: ErrorCode.OPERATION_DENIED });
    expect((err as LibvirtError).message).toMatch(/^libvirt could not define domain ro \(a problem of the connection\): /);
  });

  test('closing twice is harmless; a closed connection refuses calls', () => {
    conn = openLibvirt({ uri: URI });
    conn.close();
    conn.close();
    expect(conn.closed).toBe(true);
    const err = catchError(() => conn!.hostname());
    expect(err).toBeInstanceOf(OperationError);
    expect((err as OperationError).message).toBe('the libvirt connection to test:///default is closed');
  });

  test('withLibvirt closes the connection, also when the work throws', () => {
    let seen: LibvirtConnection | undefined;
    expect(() => withLibvirt({ uri: URI }, (c) => {
      seen = c;
      throw new Error('boom');
    })).toThrow('boom');
    expect(seen?.closed).toBe(true);
    expect(withLibvirt({ uri: URI }, (c) => c.hypervisorType())).toBe('TEST');
  });
});

describe('failures', () => {
  test('a URI that cannot be opened is a LibvirtError naming it', () => {
    const err = catchError(() => openLibvirt({ uri: 'test:///' })); // the test driver wants a file or "default"
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toBeInstanceOf(OperationError);
    expect(err).toMatchObject({ code: ErrorCode.INVALID_ARG, domain: ErrorDomain.TEST, exitCode: 1 });
    const e = err as LibvirtError;
    expect(e.libvirtMessage).toBe('invalid argument: testOpen: supply a path or use test:///default');
    expect(e.message).toBe(`libvirt could not connect to test:/// (a problem of the connection): ${e.libvirtMessage}`);
    expect(e.fix).toBeTruthy();
  });

  test('libvirt prints nothing to stderr itself', () => {
    const output = captureStderr(() => {
      expect(() => openLibvirt({ uri: 'test:///' })).toThrow(LibvirtError);
      withLibvirt({ uri: URI }, (c) => {
        expect(() => c.domains.xml('no-such-domain')).toThrow(LibvirtError);
        expect(() => c.domains.define('<domain')).toThrow(LibvirtError);
      });
    });
    expect(output).toBe('');
  });

  test('a missing libvirt library says which package to install', () => {
    const err = catchError(() => openLibvirt({ uri: URI, libraryPath: 'libvirt-missing.so.0' }));
    expect(err).toBeInstanceOf(OperationError);
    expect(err).not.toBeInstanceOf(LibvirtError);
    expect((err as OperationError).message).toMatch(/^cannot load libvirt's client library libvirt-missing\.so\.0: /);
    expect((err as OperationError).fix).toMatch(/apt-get install libvirt0/);
    // A failed load is not remembered as success, nor does it poison the real library.
    expect(() => clientLibraryVersion('libvirt-missing.so.0')).toThrow(OperationError);
    expect(clientLibraryVersion().major).toBeGreaterThanOrEqual(9);
  });
});
