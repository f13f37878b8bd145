/** A failed libvirt call, as an admin reads it, with libvirt's own numbers kept for code. */
import { OperationError } from '../errors.js';
import { ErrorCode } from './constants.js';
import type { LibvirtFfi } from './ffi.js';

export class LibvirtError extends OperationError {
  constructor(
    /** What was being done, in an admin's words: "define domain vm1". */
    readonly operation: string,
    /** `virErrorNumber` (see `ErrorCode`); 0 when libvirt gave no error. */
    readonly code: number,
    /** `virErrorDomain`: the part of libvirt that raised it. */
    readonly domain: number,
    /** libvirt's message, as `virsh` would print it. */
    readonly libvirtMessage: string,
  ) {
    super(`libvirt could not ${operation}: ${libvirtMessage}`, fixFor(code));
  }
}

/**
 * The error of the libvirt call that just failed on this thread, as a LibvirtError; libvirt's
 * copy is cleared so that it can't be mistaken for the cause of a later failure.
 */
export function lastError(ffi: LibvirtFfi, operation: string): LibvirtError {
  const raw = ffi.virGetLastError();
  ffi.virResetLastError();
  if (!raw) return new LibvirtError(operation, 0, 0, 'libvirt gave no reason');
  return new LibvirtError(operation, raw.code, raw.domain, raw.message ?? `error ${raw.code}`);
}

function fixFor(code: number): string {
  switch (code) {
    case ErrorCode.NO_CONNECT:
    case ErrorCode.SYSTEM_ERROR:
      return 'check the URI and that the libvirt daemon runs (systemctl status libvirtd or virtqemud); '
        + '`virsh -c URI uri` shows the same error';
    case ErrorCode.AUTH_FAILED:
    case ErrorCode.OPERATION_DENIED:
      return 'run as root (or as a member of the libvirt group) on a read-write connection';
    case ErrorCode.XML_ERROR:
    case ErrorCode.XML_DETAIL:
    case ErrorCode.CONFIG_UNSUPPORTED:
      return 'fix the XML; `virt-xml-validate FILE` checks it against libvirt\'s schema';
    case ErrorCode.NO_DOMAIN:
      return 'check the name with `virsh list --all`';
    case ErrorCode.NO_NETWORK:
      return 'check the name with `virsh net-list --all`';
    case ErrorCode.NO_NODE_DEVICE:
      return 'check the name with `virsh nodedev-list`';
    case ErrorCode.DOM_EXIST:
    case ErrorCode.NETWORK_EXIST:
      return 'use another name or UUID, or undefine the existing one first';
    case ErrorCode.OPERATION_INVALID:
      return 'the object is not in a state that allows this (e.g. already running, or not running); check it with virsh';
    case ErrorCode.NO_SUPPORT:
    case ErrorCode.OPERATION_UNSUPPORTED:
      return 'this libvirt driver or version does not offer it; use another connection URI or a newer libvirt';
    default:
      return "libvirt's message says why; the same operation through virsh gives the same error, "
        + "and the libvirt daemon's journal may say more";
  }
}
