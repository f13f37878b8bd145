import { describe, expect, test } from '@jest/globals';
import { isLocalUri } from '../../../src/libvirt/uri.js';

describe('isLocalUri: whether the libvirtd a URI reaches is this machine', () => {
  test('no URI, or no host part, is this machine', () => {
    for (const uri of [undefined, '', 'qemu:///system', 'qemu:///session', 'qemu+unix:///system', 'qemu+unix:///system?socket=/run/libvirt/libvirt-sock', 'test:///default', 'qemu+ssh:///system']) {
      expect(isLocalUri(uri)).toBe(true);
    }
  });

  test('a loopback host without a port is this machine, whatever the transport', () => {
    for (const uri of ['qemu://localhost/system', 'qemu+ssh://localhost/system', 'qemu+ssh://root@localhost/system', 'qemu+tcp://127.0.0.1/system', 'qemu+tls://[::1]/system', 'qemu+ssh://LocalHost/system']) {
      expect(isLocalUri(uri)).toBe(true);
    }
  });

  test('a loopback host with a port is a tunnel to another host', () => {
    for (const uri of ['qemu+ssh://root@localhost:2222/system', 'qemu+tcp://127.0.0.1:16510/system', 'qemu+tls://[::1]:16515/system']) {
      expect(isLocalUri(uri)).toBe(false);
    }
  });

  test('any other host, or an alias that may stand for any host, is remote', () => {
    for (const uri of ['qemu+ssh://root@kvm2/system', 'qemu+tls://kvm2.example.org:16514/system', 'qemu://kvm2/system', 'qemu+ssh://localhost.example.org/system', 'qemu+tcp://127.0.0.1.example.org/system', 'kvm2']) {
      expect(isLocalUri(uri)).toBe(false);
    }
  });
});
