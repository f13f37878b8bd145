/**
 * The running guest's own copy of virt-sriov's metadata (its live XML, changed through
 * virDomainSetMetadata). A NIC hot-plugged with `attach --live` has its settings there as a
 * started guest's have them from its definition, so whoever reads the live XML (a plain
 * `virsh migrate` of a failover pair, the watcher, `status`) finds what the guest asked for.
 */
import type { LibvirtConnection } from '../libvirt/index.js';
import { DomainXml } from '../xml/domain.js';
import { SRIOV_NS, type SriovMetadata } from '../xml/metadata.js';

/** `edit` changes the live metadata and says whether it did; only a change is written back. */
export function editLiveMetadata(conn: LibvirtConnection, name: string, edit: (metadata: SriovMetadata) => boolean): void {
  const domain = DomainXml.parse(conn.domains.xml(name), `domain ${name}`);
  if (!edit(domain.metadata)) return;
  const { key, xml } = domain.metadata.setMetadataText();
  conn.domains.setMetadata(name, SRIOV_NS, key, xml, { live: true, config: false });
}
