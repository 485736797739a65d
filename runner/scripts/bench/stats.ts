/** Percentiles and formatting for benchmark output. */
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
