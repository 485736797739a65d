/** Sampling, percentiles and formatting for benchmark output. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export const ms = (v: number) => `${v.toFixed(1)} ms`;

export function report(name: string, value: string, target?: string, ratio?: string): void {
  console.log(
    `${name.padEnd(46)} ${value.padStart(14)}${target ? `   target ${target}` : ''}${ratio ? `   ${ratio}` : ''}`,
  );
}

/** Runs `fn` `warmup` times unmeasured, then `n` times, returning each run's wall time in ms. */
export async function sample(n: number, fn: () => Promise<unknown>, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}
