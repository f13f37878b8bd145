/**
 * Whether a libvirt connection URI names this machine. Local means the sysfs, state directory
 * and hook log virt-sriov reads are the ones of the host whose libvirtd it talks to, so it may
 * read and change VFs itself; remote means it must go by what libvirt says (node devices) only.
 *
 * The rule, as an admin reads a URI (https://libvirt.org/uri.html):
 * - no URI (libvirt's default) or no host part (qemu:///system, qemu+unix:///system,
 *   test:///default): local;
 * - a loopback host without a port (qemu://localhost/system, qemu+ssh://root@localhost/system,
 *   127.0.0.1, [::1]): local, whatever the transport: it reaches this machine's libvirtd;
 * - a loopback host with a port (qemu+ssh://root@localhost:2222/system): remote, for a port on
 *   loopback is how a tunnel (ssh -L, a forwarded VM port) to another host is written;
 * - any other host: remote; and so is a name without `://` (a uri_aliases entry of libvirt.conf),
 *   which could stand for any host.
 * Pure: it reads only the URI.
 */
export function isLocalUri(uri: string | undefined): boolean {
  if (!uri) return true;
  const m = /^[A-Za-z][A-Za-z0-9+._-]*:\/\/([^/?#]*)/.exec(uri);
  if (!m) return false;
  const hostPort = m[1]!.replace(/^[^@]*@/, '');
  if (hostPort === '') return true;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
  if (!hp) return false;
  const host = hp[1]!.toLowerCase();
  const loopback = host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
  return loopback && !hp[2];
}
