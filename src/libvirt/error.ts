/** A failed libvirt call, as an admin reads it, with libvirt's own numbers kept for code. */
import { OperationError } from '../errors.js';
import { ErrorCode, ErrorDomain } from './constants.js';
import type { LibvirtFfi } from './ffi.js';

/**
 * What a libvirt error is a problem of, for the admin: the XML given to it, this host (its
 * hypervisor can't run what the XML asks, though the XML is fine), the connection (URI, daemon,
 * permissions), an object that is missing or in the way, or something else.
 */
export type LibvirtProblem = 'xml' | 'host' | 'connection' | 'object' | 'other';

export class LibvirtError extends OperationError {
  /** What the error is a problem of; its fix says what to do. */
  readonly problem: LibvirtProblem;

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
    const rule = classify(operation, code, domain, libvirtMessage);
    super(`libvirt could not ${operation}${PROBLEM_WORDS[rule.problem]}: ${libvirtMessage}`, rule.fix);
    this.problem = rule.problem;
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

const PROBLEM_WORDS: Record<LibvirtProblem, string> = {
  xml: ' (a problem in the XML)',
  host: ' (a problem of this host, not of the XML)',
  connection: ' (a problem of the connection)',
  object: '',
  other: '',
};

const CHECK_CONNECTION = 'check the URI and that the libvirt daemon runs (systemctl status libvirtd or virtqemud); `virsh -c URI uri` shows the same error';

interface Rule {
  readonly problem: LibvirtProblem;
  /** Any of these codes (all when absent). */
  readonly codes?: readonly number[];
  /** Raised by one of these parts of libvirt (any when absent). */
  readonly domains?: readonly number[];
  /** libvirt's message matches (any when absent). */
  readonly message?: RegExp;
  readonly fix: string;
}

/**
 * The first rule that matches decides. The same code can be the XML's or the host's fault
 * (CONFIG_UNSUPPORTED: an unknown video model, or a QEMU without KVM), so the host's cases, as
 * libvirt 9.0's QEMU driver words them, come before the XML's catch-all.
 */
const RULES: readonly Rule[] = [
  { problem: 'connection', codes: [ErrorCode.NO_CONNECT, ErrorCode.INVALID_CONN, ErrorCode.RPC, ErrorCode.SSH], fix: CHECK_CONNECTION },
  {
    problem: 'connection', codes: [ErrorCode.AUTH_FAILED, ErrorCode.AUTH_CANCELLED, ErrorCode.AUTH_UNAVAILABLE, ErrorCode.OPERATION_DENIED, ErrorCode.ACCESS_DENIED],
    fix: 'run as root (or as a member of the libvirt group) on a read-write connection',
  },
  { problem: 'connection', domains: [ErrorDomain.RPC, ErrorDomain.REMOTE], fix: CHECK_CONNECTION },
  {
    problem: 'host', codes: [ErrorCode.CONFIG_UNSUPPORTED], message: /virt type 'kvm'|\bKVM\b.*not available/i,
    fix: "this host can't run KVM guests: turn on VT-x/AMD-V in the BIOS and load kvm_intel or kvm_amd (`virt-sriov doctor` and `virt-host-validate qemu` say what is missing); or, for a guest emulated without KVM, <domain type='qemu'>",
  },
  {
    problem: 'host', codes: [ErrorCode.CONFIG_UNSUPPORTED], message: /passthrough of host PCI devices|VFIO/i,
    fix: "this host can't give PCI devices (VFs) to guests: turn on the IOMMU (VT-d/AMD-Vi in the BIOS, intel_iommu=on on the kernel command line) and load vfio-pci; `virt-sriov doctor` says what is missing",
  },
  {
    problem: 'host', codes: [ErrorCode.CONFIG_UNSUPPORTED], message: /machine type/i,
    fix: "this host's QEMU has no such machine type: use one it has (`qemu-system-x86_64 -machine help`; 'pc' or 'q35' alone pick its newest)",
  },
  {
    problem: 'host', codes: [ErrorCode.CONFIG_UNSUPPORTED], message: /no emulator found|emulator .* does not support|QEMU binary|this QEMU/i,
    fix: "this host's QEMU can't run it: install the QEMU the XML needs (qemu-system-x86 for x86_64), or change what the XML asks for",
  },
  {
    problem: 'host', codes: [ErrorCode.SYSTEM_ERROR, ErrorCode.INTERNAL_ERROR, ErrorCode.OPERATION_FAILED], message: /QEMU binary|emulator/i,
    fix: "the QEMU binary is missing: install qemu-system-x86, or fix the XML's <emulator> path (without one, libvirt picks this host's)",
  },
  {
    problem: 'xml', codes: [ErrorCode.OPERATION_FAILED], message: /already (defined|exists) with uuid/i,
    fix: 'another domain has that name or UUID: give another <name>, or leave <uuid> out for a new one (or undefine the other first)',
  },
  {
    problem: 'xml', codes: [ErrorCode.XML_ERROR, ErrorCode.XML_DETAIL, ErrorCode.XML_INVALID_SCHEMA, ErrorCode.NO_NAME, ErrorCode.CONFIG_UNSUPPORTED],
    fix: 'fix the XML; `virt-xml-validate FILE` checks it against libvirt\'s schema',
  },
  { problem: 'xml', codes: [ErrorCode.DOM_EXIST, ErrorCode.NETWORK_EXIST], fix: 'use another name or UUID, or undefine the existing one first' },
  { problem: 'object', codes: [ErrorCode.NO_DOMAIN], fix: 'check the name with `virsh list --all`' },
  { problem: 'object', codes: [ErrorCode.NO_NETWORK], fix: 'check the name with `virsh net-list --all`' },
  { problem: 'object', codes: [ErrorCode.NO_NODE_DEVICE], fix: 'check the name with `virsh nodedev-list`' },
  { problem: 'object', codes: [ErrorCode.OPERATION_INVALID], fix: 'the object is not in a state that allows this (e.g. already running, or not running); check it with virsh' },
  {
    problem: 'other', codes: [ErrorCode.NO_SUPPORT, ErrorCode.OPERATION_UNSUPPORTED],
    fix: 'this libvirt driver or version does not offer it; use another connection URI or a newer libvirt',
  },
  // a system error while connecting is the connection's (no daemon socket); elsewhere it may be anything
  { problem: 'connection', codes: [ErrorCode.SYSTEM_ERROR], message: /socket|connect|daemon/i, fix: CHECK_CONNECTION },
];

const OTHER: Rule = {
  problem: 'other',
  fix: "libvirt's message says why; the same operation through virsh gives the same error, and the libvirt daemon's journal may say more",
};

const CONNECTION: Rule = { problem: 'connection', fix: CHECK_CONNECTION };

/** The rule for a libvirt error: whatever fails while opening a connection is the connection's. */
export function classify(operation: string, code: number, domain: number, message: string): Rule {
  const connecting = operation.startsWith('connect to');
  const rule = RULES.find((r) => (!connecting || r.problem === 'connection')
    && (!r.codes || r.codes.includes(code)) && (!r.domains || r.domains.includes(domain)) && (!r.message || r.message.test(message)));
  return rule ?? (connecting ? CONNECTION : OTHER);
}
