/**
 * The watcher's /metrics address (`watch.metricsListen`, `--metrics-listen`): an IP address
 * and a port. Never a name: which address a name gives is not ours to guess, and a name could
 * reach beyond this host. Loopback only unless the admin says otherwise (`metricsAllowRemote`):
 * /metrics names the guests, their MACs and VLANs, and has no authentication. Pure, and without
 * node's net module: the hooks validate the config that holds it on every call.
 */

export interface ListenAddress {
  /** An IPv4 address, or an IPv6 one without brackets. */
  readonly host: string;
  /** 0: any free port (tests). */
  readonly port: number;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** `127.0.0.1:9479`, `[::1]:9479`; null when the text is no such address. */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  if (m[2] !== undefined) return IPV4.test(m[2]) ? { host: m[2], port } : null;
  return ipv6Host(m[1]!) ? { host: m[1]!, port } : null;
}

/** The URL parser's reading of an IPv6 address (`[::1]`), or null when it is none. */
function ipv6Host(address: string): string | null {
  try {
    return new URL(`http://[${address}]/`).hostname;
  } catch {
    return null;
  }
}

/** 127.0.0.0/8, and ::1 however it is written. */
export function isLoopback(a: ListenAddress): boolean {
  return a.host.includes(':') ? ipv6Host(a.host) === '[::1]' : a.host.startsWith('127.');
}

/** `[::1]:9479` for an IPv6 address, `127.0.0.1:9479` for an IPv4 one. */
export function formatListenAddress(a: ListenAddress): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

export const LISTEN_SYNTAX = 'ADDRESS:PORT with an IP address (127.0.0.1:9479, [::1]:9479)';

/** What is wrong with `text` as /metrics's address; null when it will do. */
export function listenAddressProblem(text: string, allowRemote: boolean): string | null {
  const a = parseListenAddress(text);
  if (!a) return `${text} is not ${LISTEN_SYNTAX}`;
  if (!allowRemote && !isLoopback(a)) return `${text} is not a loopback address, and /metrics names guests, their MACs and VLANs to anyone who asks`;
  return null;
}
