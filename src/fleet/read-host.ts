/**
 * A host's facts for the fleet view and for `migrate`'s preflight, through a libvirt connection
 * only (node devices and domains): nothing runs on the host itself, so a remote qemu+ssh or
 * qemu+tls URI is enough.
 */
import type { LibvirtConnection, NodeDevice } from '../libvirt/index.js';
import { domainDefinitions } from '../pool/domain-definitions.js';
import type { HostFacts } from './host-view.js';

export function readHostFacts(conn: LibvirtConnection): HostFacts {
  const devices: NodeDevice[] = [];
  for (const capability of ['pci', 'net'] as const) {
    for (const name of conn.nodeDevices.list(capability)) {
      const xml = nodeDeviceXml(conn, name);
      if (xml) devices.push(xml);
    }
  }
  return { uri: conn.uri, hostname: conn.hostname(), devices, domains: domainDefinitions(conn) };
}

/** A device that went away between the list and the read (a VF removed meanwhile) is no device. */
function nodeDeviceXml(conn: LibvirtConnection, name: string): NodeDevice | null {
  try {
    return conn.nodeDevices.describe(name);
  } catch (e) {
    if (conn.nodeDevices.lookup(name) === null) return null;
    throw e;
  }
}
