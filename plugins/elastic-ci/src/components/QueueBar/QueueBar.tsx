import type { QueueBreakdown, QueuePhase } from '@eci-virtual/contract';
import { formatMs } from '../../format.js';

/** One colour per phase, in QUEUE_PHASES order; the legend reads the same names. */
const COLOURS: Record<QueuePhase, string> = {
  webhook: '#9e9e9e',
  launch: '#5c6bc0',
  schedule: '#26a69a',
  images: '#ffa726',
  runner: '#ab47bc',
  assign: '#42a5f5',
  setup: '#8d6e63',
};

/**
 * Queued → first step as a stacked bar, one segment per phase, widths in proportion to the phase's time (the
 * controller computes the phases: `JobRecord.queueBreakdown`). Each segment's title and test id name its phase.
 */
export function QueueBar({ jobId, breakdown }: { jobId: string; breakdown?: QueueBreakdown }) {
  if (!breakdown || breakdown.totalMs <= 0) return null;
  const label = breakdown.phases.map((p) => `${p.phase} ${formatMs(p.ms)}`).join(' · ');
  return (
    <span
      data-testid={`queue-bar-${jobId}`}
      role="img"
      aria-label={`queue breakdown: ${label}${breakdown.complete ? '' : ' (so far)'}`}
      title={label}
      style={{ display: 'flex', width: 160, height: 8, marginTop: 4, borderRadius: 2, overflow: 'hidden' }}
    >
      {breakdown.phases
        .filter((p) => p.ms > 0)
        .map((p) => (
          <span
            key={p.phase}
            data-testid={`queue-phase-${p.phase}`}
            data-ms={p.ms}
            title={`${p.phase} ${formatMs(p.ms)}`}
            style={{ flexGrow: p.ms, flexBasis: 0, background: COLOURS[p.phase] }}
          />
        ))}
    </span>
  );
}
