/**
 * Every domain a libvirt connection knows, as the pool reads them: its persistent XML, and its
 * live one while it runs (vf-holders.ts reads who holds which VF from these).
 */
import type { LibvirtConnection } from '../libvirt/index.js';
import type { DomainDefinition } from './vf-holders.js';

export function domainDefinitions(conn: LibvirtConnection): DomainDefinition[] {
  return conn.domains.list('all').map((d) => {
    const xml = [conn.domains.xml(d.name, { inactive: true })];
    if (d.active) xml.push(conn.domains.xml(d.name));
    return { name: d.name, running: d.active, xml };
  });
}
