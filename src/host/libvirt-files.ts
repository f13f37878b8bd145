/**
 * libvirt's own definitions, read from its config directory. Read only, and only where the
 * API can't be used: a hook must never call back into libvirt (the daemon is waiting on it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetworkXml } from '../xml/network.js';

export const LIBVIRT_QEMU_DIR = '/etc/libvirt/qemu';

function xmlFiles(dir: string): { name: string; text: string }[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.xml'));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      return [{ name, text: readFileSync(join(dir, name), 'utf8') }];
    } catch {
      return [];
    }
  });
}

/** Hostdev networks defined in libvirt, by name. */
export function definedHostdevNetworks(dir = join(LIBVIRT_QEMU_DIR, 'networks')): Set<string> {
  const names = new Set<string>();
  for (const f of xmlFiles(dir)) {
    try {
      const net = parseNetworkXml(f.text, f.name);
      if (net.hostdev) names.add(net.name);
    } catch {
      // a network file we can't read is not ours to judge
    }
  }
  return names;
}

/** The XML of every domain defined in libvirt. */
export function definedDomainXmls(dir = LIBVIRT_QEMU_DIR): string[] {
  return xmlFiles(dir).map((f) => f.text);
}
