/**
 * How long the system took to make progress again after each fault (pure): from the fault's end to the next
 * progress of any job, less the time other faults were in progress within that window (while the API server is down
 * again, nothing can be expected to recover; that time belongs to the other fault's own recovery). A fault after
 * which nothing progressed before the workload finished recovers at `finishedAt`; one that ended after it counts 0.
 */
export interface FaultSpan {
  startedAt: number;
  endedAt: number;
}

/** Length of the union of `spans` clipped to [from, to]. */
function covered(spans: readonly FaultSpan[], from: number, to: number): number {
  const clipped = spans
    .map((s) => [Math.max(from, s.startedAt), Math.min(to, s.endedAt)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = from;
  for (const [a, b] of clipped) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/** Seconds per fault, in the order of `faults`; `progress` holds ascending times (ms) of job progress. */
export function recoveryTimes(faults: readonly FaultSpan[], progress: readonly number[], finishedAt: number): number[] {
  return faults.map((f) => {
    if (f.endedAt >= finishedAt) return 0;
    const next = progress.find((p) => p > f.endedAt) ?? finishedAt;
    const others = faults.filter((o) => o !== f);
    return Math.max(0, next - f.endedAt - covered(others, f.endedAt, next)) / 1000;
  });
}
