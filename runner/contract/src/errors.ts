/**
 * The shared error vocabulary. Every layer (Kubernetes wrapper, backends, kubelet API, GitHub client) maps what it
 * sees into one of these, so callers branch on `instanceof` / `code`, never on message text.
 */
export type ErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'InvalidInput'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Throttled'
  | 'Unavailable'
  | 'Timeout'
  | 'Cancelled'
  | 'MissingTool'
  | 'Internal';

export class EciVirtualError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, printed after the message by the CLI. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.code = code;
    this.hint = options?.hint;
  }
}

const make = (code: ErrorCode) =>
  class extends EciVirtualError {
    constructor(message: string, options?: { cause?: unknown; hint?: string }) {
      super(code, message, options);
    }
  };

export class NotFound extends make('NotFound') {}
export class AlreadyExists extends make('AlreadyExists') {}
export class Conflict extends make('Conflict') {}
export class InvalidInput extends make('InvalidInput') {}
export class Unauthorized extends make('Unauthorized') {}
export class Forbidden extends make('Forbidden') {}
export class Throttled extends make('Throttled') {}
export class Unavailable extends make('Unavailable') {}
export class Timeout extends make('Timeout') {}
export class Cancelled extends make('Cancelled') {}
/** A host tool (go, podman, ...) the command needs is not installed. */
export class MissingTool extends make('MissingTool') {}
export class Internal extends make('Internal') {}

export function isErrorCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof EciVirtualError && err.code === code;
}

/** A one-line, human message for any thrown value (CLI output, events). */
export function describeError(err: unknown): string {
  if (err instanceof EciVirtualError) return err.hint ? `${err.message} (${err.hint})` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
