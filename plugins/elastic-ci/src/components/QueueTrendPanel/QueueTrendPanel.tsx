import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import NativeSelect from '@material-ui/core/NativeSelect';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { useState } from 'react';
import type { AggregatesResponse } from '@eci-virtual/contract';
import { niceCeiling, PANEL_CHART, windowDays } from '../../chart.js';
import { formatMs } from '../../format.js';
import { ChartAxes } from '../ChartAxes/index.js';
import { AggregatesCard } from '../AggregatesCard/index.js';

const { width: WIDTH, height: HEIGHT, pad: PAD } = PANEL_CHART;

/** Props of the queue-time trend panel: the controller's `/v1/aggregates` answer and the entity's repository. */
export interface QueueTrendPanelProps {
  repo: string;
  aggregates?: AggregatesResponse;
  error?: Error;
}

/**
 * Queue time (queued → running) p50 and p95 per UTC day of one repository — the entity's by default, any other
 * repository of the answer by choice — as two lines over the window. The percentiles come from the controller.
 */
export function QueueTrendPanel({ repo, aggregates, error }: QueueTrendPanelProps) {
  return (
    <AggregatesCard
      testId="queue-trend-panel"
      title="Queue time p50/p95 per repository"
      subheader="queued → running, per UTC day"
      errorTitle="Could not load the queue-time trends"
      aggregates={aggregates}
      error={error}
      render={(a) => <QueueTrend repo={repo} aggregates={a} />}
    />
  );
}

function QueueTrend({ repo, aggregates }: { repo: string; aggregates: AggregatesResponse }) {
  const theme = useTheme();
  const [chosen, setChosen] = useState<string>();
  const withQueue = aggregates.perRepositoryDay.filter((d) => d.queueP50Ms !== undefined);
  const repos = [...new Set(withQueue.map((d) => d.repo))].sort();
  const selected = chosen && repos.includes(chosen) ? chosen : repos.includes(repo) ? repo : repos[0];
  if (!selected) {
    return (
      <Typography color="textSecondary" data-testid="queue-trend-empty">
        No job reached running in this period.
      </Typography>
    );
  }
  const days = windowDays(aggregates.from, aggregates.to);
  const points = withQueue
    .filter((d) => d.repo === selected)
    .map((d) => ({ day: d.day, i: days.indexOf(d.day), p50: d.queueP50Ms!, p95: d.queueP95Ms ?? d.queueP50Ms! }))
    .filter((p) => p.i >= 0);
  const yMax = niceCeiling(Math.max(...points.map((p) => p.p95)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (days.length <= 1 ? plotW / 2 : (i / (days.length - 1)) * plotW);
  const y = (ms: number) => PAD.top + plotH - (ms / yMax) * plotH;
  const lines = [
    { key: 'p50' as const, colour: theme.palette.primary.main },
    { key: 'p95' as const, colour: theme.palette.secondary.main },
  ];
  const latest = points[points.length - 1];

  return (
    <>
      <FormControl size="small" style={{ display: 'flex', maxWidth: 320, marginBottom: 8 }}>
        <InputLabel htmlFor="queue-trend-repository">Repository</InputLabel>
        <NativeSelect
          value={selected}
          onChange={(event) => setChosen(event.target.value)}
          inputProps={{ id: 'queue-trend-repository', 'data-testid': 'queue-trend-repository' } as object}
        >
          {repos.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </NativeSelect>
      </FormControl>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={`Queue time p50 and p95 per day of ${selected}`}
        data-testid="queue-trend-chart"
        style={{ maxWidth: '100%', height: 'auto', fontFamily: theme.typography.fontFamily, fontSize: 11 }}
      >
        <ChartAxes
          width={WIDTH}
          height={HEIGHT}
          pad={PAD}
          ticks={[0, yMax / 2, yMax]}
          y={y}
          formatTick={formatMs}
          first={days[0]!}
          last={days[days.length - 1]!}
        />
        {lines.map((line) => (
          <g key={line.key}>
            <polyline
              fill="none"
              stroke={line.colour}
              strokeWidth={1.5}
              points={points.map((p) => `${x(p.i)},${y(p[line.key])}`).join(' ')}
            />
            {points.map((p) => (
              <circle
                key={p.day}
                cx={x(p.i)}
                cy={y(p[line.key])}
                r={3}
                fill={line.colour}
                data-testid={`queue-trend-${line.key}-${p.day}`}
                data-ms={p[line.key]}
              >
                <title>{`${selected}, ${p.day}: ${line.key} ${formatMs(p[line.key])}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <Typography variant="body2" color="textSecondary" data-testid="queue-trend-latest">
        <span style={{ color: lines[0]!.colour }}>●</span> p50 <span style={{ color: lines[1]!.colour }}>●</span> p95
        {latest ? ` · ${latest.day}: p50 ${formatMs(latest.p50)}, p95 ${formatMs(latest.p95)}` : ''}
      </Typography>
    </>
  );
}
