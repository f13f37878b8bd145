/**
 * Errors an admin reads. Each says what failed and why; `fix` says what to do about it.
 * The exit code follows the CLI contract: 2 for bad usage or bad input, 1 for a failed operation.
 */
const BRAND = Symbol.for('virt-sriov.error');

export abstract class VirtSriovError extends Error {
  abstract readonly exitCode: 1 | 2;
  /** Recognised across bundles: a hook's operations live in a bundle of their own. */
  readonly [BRAND] = true;
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /**
   * `e instanceof VirtSriovError` also for an error made by another bundle's copy of this
   * class; subclasses keep the ordinary test.
   */
  static override [Symbol.hasInstance](e: unknown): boolean {
    if (this !== VirtSriovError) return Function.prototype[Symbol.hasInstance].call(this, e);
    return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
  }

  /** The message and, on its own line, the fix. */
  describe(): string {
    return this.fix ? `${this.message}\n  fix: ${this.fix}` : this.message;
  }
}

/** Input that can't be used as given: malformed XML, an out-of-range VLAN, a bad version string. */
export class InputError extends VirtSriovError {
  readonly exitCode = 2;
}

/** A command line that doesn't parse. */
export class UsageError extends VirtSriovError {
  readonly exitCode = 2;
}

/** The input was fine but the work could not be done: a command failed, a device is missing. */
export class OperationError extends VirtSriovError {
  readonly exitCode = 1;
}
