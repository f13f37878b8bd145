import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ErrorCode, LibvirtError, openLibvirt, type LibvirtConnection } from '../../../src/libvirt/index.js';
import { catchError } from './catch-error.js';

// test:///default: one shared in-memory host per process, with a running network "default".
let conn: LibvirtConnection;
beforeAll(() => {
  conn = openLibvirt({ uri: 'test:///default' });
});
afterAll(() => conn.close());

const UUID = '3f0c2a1e-9b7d-4c55-8e21-6d4a0b9c8f12';
const hostdevNetworkXml = (name: string) => `<network>
  <name>${name}</name>
  <uuid>${UUID}</uuid>
  <forward mode='hostdev' managed='yes'>
    <pf dev='eth9'/>
  </forward>
</network>
`;

describe('networks', () => {
  test('the test driver has its network "default", running', () => {
    expect(conn.networks.lookup('default')).toMatchObject({ name: 'default', active: true, persistent: true });
    expect(conn.networks.isActive('default')).toBe(true);
    expect(conn.networks.xml('default')).toMatch(/^<network>\s*<name>default<\/name>/);
  });

  test('define, start, autostart, list, stop and undefine a hostdev network', () => {
    const summary = conn.networks.define(hostdevNetworkXml('vs-hostdev'));
    try {
      expect(summary).toEqual({ name: 'vs-hostdev', uuid: UUID, active: false, persistent: true, autostart: false });
      expect(conn.networks.lookup('vs-hostdev')).toEqual(summary);
      const xml = conn.networks.xml('vs-hostdev');
      expect(xml).toContain("<forward mode='hostdev' managed='yes'>");
      expect(xml).toContain("<pf dev='eth9'/>");
      expect(conn.networks.list('inactive').map((n) => n.name)).toContain('vs-hostdev');

      conn.networks.start('vs-hostdev');
      expect(conn.networks.isActive('vs-hostdev')).toBe(true);
      expect(conn.networks.list('active').map((n) => n.name)).toEqual(expect.arrayContaining(['default', 'vs-hostdev']));
      expect(conn.networks.list('inactive').map((n) => n.name)).not.toContain('vs-hostdev');

      conn.networks.setAutostart('vs-hostdev', true);
      expect(conn.networks.lookup('vs-hostdev')?.autostart).toBe(true);
      conn.networks.setAutostart('vs-hostdev', false);
      expect(conn.networks.lookup('vs-hostdev')?.autostart).toBe(false);

      conn.networks.destroy('vs-hostdev');
      expect(conn.networks.isActive('vs-hostdev')).toBe(false);
    } finally {
      if (conn.networks.lookup('vs-hostdev')?.active) conn.networks.destroy('vs-hostdev');
      conn.networks.undefine('vs-hostdev');
    }
    expect(conn.networks.lookup('vs-hostdev')).toBeNull();
  });

  test('the inactive flag reaches libvirt (the test driver refuses it; real drivers honour it)', () => {
    const err = catchError(() => conn.networks.xml('default', { inactive: true }));
    expect(err).toMatchObject({ code: ErrorCode.INVALID_ARG, libvirtMessage: 'unsupported flags (0x1) in function testNetworkGetXMLDesc' });
  });

  test('a missing network: lookup gives null, everything else a NO_NETWORK error', () => {
    expect(conn.networks.lookup('vs-no-such-net')).toBeNull();
    const err = catchError(() => conn.networks.start('vs-no-such-net'));
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: ErrorCode.NO_NETWORK });
    expect((err as LibvirtError).message).toMatch(/^libvirt could not start network vs-no-such-net: /);
    for (const call of [
      () => conn.networks.xml('vs-no-such-net'),
      () => conn.networks.undefine('vs-no-such-net'),
      () => conn.networks.destroy('vs-no-such-net'),
      () => conn.networks.setAutostart('vs-no-such-net', true),
    ]) expect(catchError(call)).toMatchObject({ code: ErrorCode.NO_NETWORK });
  });

  test('bad network XML is a LibvirtError with libvirt\'s code', () => {
    const err = catchError(() => conn.networks.define("<network><name>vs-bad</name><forward mode='bogus'/></network>"));
    expect(err).toMatchObject({ code: ErrorCode.CONFIG_UNSUPPORTED });
    expect((err as LibvirtError).message).toBe("libvirt could not define network vs-bad (a problem in the XML): unsupported configuration: unknown forwarding type 'bogus'");
  });
});
