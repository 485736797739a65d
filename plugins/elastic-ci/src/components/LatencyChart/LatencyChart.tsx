import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { InfoCard } from '@backstage/core-components';
import type { JobRecord } from '@eci-virtual/contract';
import { niceCeiling } from '../../chart.js';
import { formatMs, formatTime } from '../../format.js';
import { ChartAxes } from '../ChartAxes/index.js';

const WIDTH = 960;
const HEIGHT = 220;
const PAD = { left: 64, right: 16, top: 12, bottom: 36 };

interface Point {
  id: string;
  t: number;
  ms: number;
  virtual: boolean;
  label: string;
}

/** Start latency (queued → running) per job over time, as a plain SVG line + dots (virtual vs regular nodes). */
export function LatencyChart({ jobs }: { jobs: JobRecord[] }) {
  const theme = useTheme();
  const points: Point[] = jobs
    .filter((job) => job.latency.queuedToRunningMs !== undefined && !Number.isNaN(Date.parse(job.timestamps.queuedAt)))
    .map((job) => ({
      id: job.id,
      t: Date.parse(job.timestamps.queuedAt),
      ms: job.latency.queuedToRunningMs as number,
      virtual: job.node?.type === 'virtual',
      label: `${job.workflow} / ${job.job}`,
    }))
    .sort((a, b) => a.t - b.t);

  if (points.length === 0) {
    return (
      <InfoCard title="Start latency over time">
        <Typography color="textSecondary">No job has reached running yet.</Typography>
      </InfoCard>
    );
  }

  const tMin = points[0]!.t;
  const tMax = points[points.length - 1]!.t;
  const yMax = niceCeiling(Math.max(...points.map((p) => p.ms)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (tMax === tMin ? plotW / 2 : ((t - tMin) / (tMax - tMin)) * plotW);
  const y = (ms: number) => PAD.top + plotH - (ms / yMax) * plotH;
  const ticks = [0, yMax / 2, yMax];
  const virtualColor = theme.palette.primary.main;
  const regularColor = theme.palette.secondary.main;

  return (
    <InfoCard title="Start latency over time" subheader="queued → running per job">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label="Start latency over time"
        data-testid="latency-chart"
        style={{ maxWidth: '100%', height: 'auto', fontFamily: theme.typography.fontFamily, fontSize: 11 }}
      >
        <ChartAxes
          width={WIDTH}
          height={HEIGHT}
          pad={PAD}
          ticks={ticks}
          y={y}
          formatTick={formatMs}
          first={formatTime(new Date(tMin).toISOString())}
          last={formatTime(new Date(tMax).toISOString())}
        />
        <polyline
          fill="none"
          stroke={theme.palette.text.hint}
          strokeWidth={1}
          points={points.map((p) => `${x(p.t)},${y(p.ms)}`).join(' ')}
        />
        {points.map((p) => (
          <circle
            key={p.id}
            cx={x(p.t)}
            cy={y(p.ms)}
            r={4}
            fill={p.virtual ? virtualColor : regularColor}
            data-testid={`latency-point-${p.id}`}
          >
            <title>{`${p.label}: ${formatMs(p.ms)} (${p.virtual ? 'virtual' : 'regular'})`}</title>
          </circle>
        ))}
        <g transform={`translate(${WIDTH - PAD.right - 150}, ${PAD.top + 4})`}>
          <circle cx={0} cy={0} r={4} fill={virtualColor} />
          <text x={8} y={4} fill={theme.palette.text.secondary}>
            virtual
          </text>
          <circle cx={70} cy={0} r={4} fill={regularColor} />
          <text x={78} y={4} fill={theme.palette.text.secondary}>
            regular
          </text>
        </g>
      </svg>
    </InfoCard>
  );
}
