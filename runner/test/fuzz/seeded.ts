/**
 * A seeded pseudo-random source for the bad-input tests (runner/docs/bad-input.md): the same seed gives the same
 * cases, so a failing case is reproduced by its seed and index. mulberry32: 32-bit state, enough for test inputs.
 */
import { EciVirtualError } from '@eci-virtual/contract';
import { seededRandom } from '../seeded-random.js';

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function seeded(seed: number): Random {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]!, chance: (p) => next() < p };
}

/**
 * One random edit of `text`: delete, duplicate or swap a slice, insert a fragment from `alphabet`, or cut the text.
 * Applied a few times, it turns valid input into the near-misses parsers meet in practice.
 */
export function mutate(r: Random, text: string, alphabet: readonly string[]): string {
  const at = r.int(text.length + 1);
  const len = 1 + r.int(Math.max(1, Math.min(16, text.length - at)));
  switch (r.int(5)) {
    case 0:
      return text.slice(0, at) + text.slice(at + len);
    case 1:
      return text.slice(0, at) + text.slice(at, at + len).repeat(1 + r.int(3)) + text.slice(at + len);
    case 2: {
      const other = r.int(text.length + 1);
      return text.slice(0, at) + text.slice(other, other + len) + text.slice(at + len);
    }
    case 3:
      return text.slice(0, at) + r.pick(alphabet) + text.slice(at);
    default:
      return text.slice(0, at);
  }
}

/**
 * Runs `fn` on one fuzz case: it may return anything, or throw the project's typed error with a message. Anything
 * else thrown fails the case, naming it (`what`: seed, case index, input). Returns the typed error, if any.
 */
export function typedErrorOf(fn: () => unknown, what: string): EciVirtualError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof EciVirtualError)) throw new Error(`${what} threw ${String(err)}`, { cause: err });
    if (err.message.length === 0) throw new Error(`${what} threw a typed error with no message`, { cause: err });
    return err;
  }
}
