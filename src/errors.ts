/**
 * Errors an admin reads. Each says what failed and why; `fix` says what to do about it.
 * The exit code follows the CLI contract: 2 for bad usage or bad input, 1 for a failed operation.
 */
export abstract class VirtSriovError extends Error {
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
