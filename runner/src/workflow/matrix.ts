/**
 * strategy.matrix expansion in GitHub's order: the cartesian product of the keys, minus `exclude` (partial matches),
 * then `include` entries extend every combination they do not contradict, or become new combinations.
 */
import { InvalidInput } from '@eci-virtual/contract';

export type Combination = Record<string, unknown>;
const MAX = 256;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function expandMatrix(matrix: unknown): Combination[] {
  if (matrix === undefined) return [{}];
  if (!isObj(matrix)) throw new InvalidInput('strategy.matrix must be a mapping');
  const { include, exclude, ...axes } = matrix;
  let combos: Combination[] = [{}];
  for (const [key, values] of Object.entries(axes)) {
    if (!Array.isArray(values) || !values.length) throw new InvalidInput(`matrix.${key} must be a non-empty list`);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
    if (combos.length > MAX) throw new InvalidInput(`the matrix has more than ${MAX} combinations`);
  }
  if (!Object.keys(axes).length) combos = [];
  for (const ex of (Array.isArray(exclude) ? exclude : []) as unknown[]) {
    if (!isObj(ex)) continue;
    combos = combos.filter((c) => !Object.entries(ex).every(([k, v]) => same(c[k], v)));
  }
  const original = new Set(Object.keys(axes));
  for (const inc of (Array.isArray(include) ? include : []) as unknown[]) {
    if (!isObj(inc)) continue;
    let matched = false;
    for (const c of combos) {
      const conflicts = Object.entries(inc).some(([k, v]) => original.has(k) && k in c && !same(c[k], v));
      if (!conflicts) {
        Object.assign(c, inc);
        matched = true;
      }
    }
    if (!matched) combos.push({ ...inc });
  }
  if (combos.length > MAX) throw new InvalidInput(`the matrix has more than ${MAX} combinations`);
  return combos.length ? combos : [{}];
}

export function displayName(jobName: string, combo: Combination): string {
  const values = Object.values(combo).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)));
  return values.length ? `${jobName} (${values.join(', ')})` : jobName;
}
