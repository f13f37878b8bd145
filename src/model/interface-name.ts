/**
 * A netdev name as the kernel takes it (dev_valid_name: 1-15 bytes, not `.` or `..`, no `/`, `:`
 * or white space), kept to the characters interface names are made of. Every name that comes
 * from XML, the config or the command line is checked with this before it reaches sysfs or ip.
 */
export function isInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}
