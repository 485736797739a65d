import { InvalidInput } from '@eci-virtual/contract';

/** A bad expression, pointing at the column (1-based) where it went wrong. */
export class ExpressionError extends InvalidInput {
  readonly column: number;
  constructor(message: string, source: string, index: number) {
    super(`${message} at column ${index + 1} of "${source}"`);
    this.column = index + 1;
  }
}
