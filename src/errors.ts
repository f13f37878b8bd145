/**
 * Errors an admin reads. Each says what failed and why; `fix` says what to do about it.
 * The exit code follows the CLI contract: 2 for bad usage or bad input, 1 for a failed operation.
 *
 * Test an error with isVirtSriovError, never with `instanceof`: the hooks span two bundles
 * (node's hook and the operations it loads, src/hooks/hook-main.ts), each with its own copy of
 * these classes, so an error thrown by one is no instance of the other's. What an error is
 * travels with it as data, its `kind`.
 */
export type ErrorKind = 'input' | 'usage' | 'operation';

export abstract class VirtSriovError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly exitCode: 1 | 2;
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The message and, on its own line, the fix. */
  describe(): string {
    return this.fix ? `${this.message}\n  fix: ${this.fix}` : this.message;
  }
}

/** Input that can't be used as given: malformed XML, an out-of-range VLAN, a bad version string. */
export class InputError extends VirtSriovError {
  readonly kind = 'input';
  readonly exitCode = 2;
}

/** A command line that doesn't parse. */
export class UsageError extends VirtSriovError {
  readonly kind = 'usage';
  readonly exitCode = 2;
}

/** The input was fine but the work could not be done: a command failed, a device is missing. */
export class OperationError extends VirtSriovError {
  readonly kind = 'operation';
  readonly exitCode = 1;
}

interface ErrorOfKind {
  input: InputError;
  usage: UsageError;
  operation: OperationError;
}

const EXIT_CODES: Readonly<Record<ErrorKind, 1 | 2>> = { input: 2, usage: 2, operation: 1 };

/**
 * Whether `e` is one of virt-sriov's errors (of this kind, when given), whichever bundle made
 * it: judged by its data (an Error whose kind and exit code are ours), not by its class.
 */
export function isVirtSriovError(e: unknown): e is VirtSriovError;
export function isVirtSriovError<K extends ErrorKind>(e: unknown, kind: K): e is ErrorOfKind[K];
export function isVirtSriovError(e: unknown, kind?: ErrorKind): boolean {
  if (!(e instanceof Error)) return false;
  const k = (e as { kind?: unknown }).kind;
  return typeof k === 'string' && Object.hasOwn(EXIT_CODES, k) && (e as { exitCode?: unknown }).exitCode === EXIT_CODES[k as ErrorKind]
    && (kind === undefined || k === kind);
}

