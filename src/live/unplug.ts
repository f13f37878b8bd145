/**
 * Waiting for a running guest to let a device go. libvirt's unplug is a request: the removal
 * completes when the guest OS acknowledges it, and libvirt says so with a `removed` device event
 * (or `removal-failed`). The subscription comes first, so an event sent while libvirt still
 * answers the request is not missed; an event lost all the same (a daemon restart in between)
 * is made up for by the running XML, which no longer has the device.
 */
import type { DeviceEvent } from '../libvirt/index.js';

/** What the wait needs of a libvirt connection. */
export interface UnplugPort {
  /** Ask for the removal (virDomainDetachDeviceFlags, live). */
  requestRemoval(domain: string, deviceXml: string): void;
  onDevice(handler: (e: DeviceEvent) => void): () => void;
  /** Run libvirt's event loop for up to `ms`, or until `until()`. */
  run(ms: number, until: () => boolean): Promise<void>;
  /** Whether the running guest still has the device of this alias. */
  stillHas(domain: string, alias: string): boolean;
}

export type UnplugOutcome = 'removed' | 'refused' | 'timeout';

/** `alias`: the device's <alias name> in the running XML (null: libvirt gave it none; only the event can tell). */
export async function unplugAndWait(port: UnplugPort, domain: string, alias: string | null, deviceXml: string, waitMs: number): Promise<UnplugOutcome> {
  const seen: DeviceEvent[] = [];
  const stop = port.onDevice((e) => {
    if (e.domain === domain && e.kind !== 'added' && (alias === null || e.alias === alias)) seen.push(e);
  });
  try {
    port.requestRemoval(domain, deviceXml);
    await port.run(waitMs, () => seen.length > 0);
  } finally {
    stop();
  }
  if (seen.some((e) => e.kind === 'removal-failed')) return 'refused';
  if (seen.some((e) => e.kind === 'removed')) return 'removed';
  return alias !== null && !port.stillHas(domain, alias) ? 'removed' : 'timeout';
}
