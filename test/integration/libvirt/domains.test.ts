import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ErrorCode, LibvirtError, openLibvirt, type LibvirtConnection } from '../../../src/libvirt/index.js';
import { catchError } from './catch-error.js';

// test:///default: one shared in-memory host per process, with a running domain "test".
let conn: LibvirtConnection;
beforeAll(() => {
  conn = openLibvirt({ uri: 'test:///default' });
});
afterAll(() => conn.close());

const domainXml = (name: string, uuid?: string) => `<domain type='test'>
  <name>${name}</name>${uuid ? `\n  <uuid>${uuid}</uuid>` : ''}
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
  </os>
</domain>
`;

/** Define a domain for one test and undefine it (stopping it first) afterwards. */
function withDomain(name: string, fn: () => void): void {
  conn.domains.define(domainXml(name));
  try {
    fn();
  } finally {
    if (conn.domains.lookup(name)?.active) conn.domains.destroy(name);
    if (conn.domains.lookup(name)) conn.domains.undefine(name);
  }
}

describe('domains', () => {
  test('the test driver has its domain "test", running', () => {
    expect(conn.domains.lookup('test')).toEqual({ name: 'test', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), active: true, persistent: true });
    expect(conn.domains.isActive('test')).toBe(true);
    expect(conn.domains.xml('test')).toMatch(/^<domain type='test' id='\d+'>/);
  });

  test('define, look up, dump and undefine', () => {
    const uuid = '7c1b9a52-3c2e-4b8f-9d41-0a6f5e2b7c11';
    const summary = conn.domains.define(domainXml('vs-define', uuid));
    expect(summary).toEqual({ name: 'vs-define', uuid, active: false, persistent: true });
    try {
      expect(conn.domains.lookup('vs-define')).toEqual(summary);
      const xml = conn.domains.xml('vs-define', { inactive: true });
      expect(xml).toContain('<name>vs-define</name>');
      expect(xml).toContain(`<uuid>${uuid}</uuid>`);
      expect(conn.domains.isActive('vs-define')).toBe(false);
    } finally {
      conn.domains.undefine('vs-define');
    }
    expect(conn.domains.lookup('vs-define')).toBeNull();
  });

  test('start and stop; live and inactive XML differ while it runs', () => {
    withDomain('vs-startstop', () => {
      conn.domains.start('vs-startstop');
      expect(conn.domains.isActive('vs-startstop')).toBe(true);
      expect(conn.domains.xml('vs-startstop')).toMatch(/^<domain type='test' id='\d+'>/); // live: has an id
      expect(conn.domains.xml('vs-startstop', { inactive: true })).toMatch(/^<domain type='test'>/);
      const again = catchError(() => conn.domains.start('vs-startstop'));
      expect(again).toBeInstanceOf(LibvirtError);
      expect((again as LibvirtError).message).toMatch(/^libvirt could not start domain vs-startstop: .*already running/);
      conn.domains.destroy('vs-startstop');
      expect(conn.domains.isActive('vs-startstop')).toBe(false);
    });
  });

  test('list all, active and inactive', () => {
    withDomain('vs-list', () => {
      const names = (filter?: 'all' | 'active' | 'inactive') => conn.domains.list(filter).map((d) => d.name).sort();
      expect(names()).toEqual(expect.arrayContaining(['test', 'vs-list']));
      expect(names('active')).toContain('test');
      expect(names('active')).not.toContain('vs-list');
      expect(names('inactive')).toContain('vs-list');
      expect(names('inactive')).not.toContain('test');
      expect(conn.domains.list().find((d) => d.name === 'vs-list')).toEqual(conn.domains.lookup('vs-list'));
    });
  });

  test('a missing domain: lookup gives null, everything else a NO_DOMAIN error naming the operation', () => {
    expect(conn.domains.lookup('vs-no-such-domain')).toBeNull();
    const err = catchError(() => conn.domains.xml('vs-no-such-domain'));
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: ErrorCode.NO_DOMAIN, exitCode: 1 });
    expect((err as LibvirtError).message).toMatch(/^libvirt could not read the XML of domain vs-no-such-domain: Domain not found/);
    expect((err as LibvirtError).fix).toMatch(/virsh list --all/);
    for (const call of [
      () => conn.domains.undefine('vs-no-such-domain'),
      () => conn.domains.isActive('vs-no-such-domain'),
      () => conn.domains.start('vs-no-such-domain'),
      () => conn.domains.destroy('vs-no-such-domain'),
    ]) expect(catchError(call)).toMatchObject({ code: ErrorCode.NO_DOMAIN });
  });

  test('bad XML is a LibvirtError with libvirt\'s code and message', () => {
    const malformed = catchError(() => conn.domains.define('<domain type="test"><name>vs-bad</name>'));
    expect(malformed).toBeInstanceOf(LibvirtError);
    expect(malformed).toMatchObject({ code: ErrorCode.XML_DETAIL });
    // Malformed XML has no name to read, so the message names what was attempted.
    expect((malformed as LibvirtError).message).toMatch(/^libvirt could not define a domain from the given XML \(a problem in the XML\): /);

    const invalid = catchError(() => conn.domains.define("<domain type='test'><name>vs-bad</name></domain>"));
    expect(invalid).toMatchObject({ code: ErrorCode.XML_ERROR, libvirtMessage: 'XML error: an os <type> must be specified' });
    expect((invalid as LibvirtError).message).toBe('libvirt could not define domain vs-bad (a problem in the XML): XML error: an os <type> must be specified');
    expect(conn.domains.lookup('vs-bad')).toBeNull();
  });
});
