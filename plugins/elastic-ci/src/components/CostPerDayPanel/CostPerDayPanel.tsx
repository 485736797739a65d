import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import type { AggregatesResponse, RepositoryDayTotals } from '@eci-virtual/contract';
import { niceCeiling, PANEL_CHART, windowDays } from '../../chart.js';
import { formatSeconds, formatUsd } from '../../format.js';
import { ChartAxes } from '../ChartAxes/index.js';
import { AggregatesCard } from '../AggregatesCard/index.js';

const { width: WIDTH, height: HEIGHT, pad: PAD } = PANEL_CHART;
/** An axis tick in US$: cent ticks as the tab writes money, smaller ones to two significant digits. */
const tickUsd = (usd: number) => (usd === 0 || usd >= 0.01 ? formatUsd(usd) : `$${Number(usd.toPrecision(2))}`);
/** Other repositories' segments, in turn. */
const OTHERS = ['#b0bec5', '#90a4ae', '#cfd8dc', '#78909c'];

/**
 * Props of the cost-per-day panel: the controller's `/v1/aggregates` answer and the entity's repository.
 */
export interface CostPerDayPanelProps {
  repo: string;
  aggregates?: AggregatesResponse;
  error?: Error;
}

/**
 * What the jobs cost per UTC day (US$ at the controller's prices, as ECI bills them): a bar per day, stacked by
 * repository with this repository at the bottom, and this repository's days as a table with their total.
 */
export function CostPerDayPanel({ repo, aggregates, error }: CostPerDayPanelProps) {
  const days = aggregates ? windowDays(aggregates.from, aggregates.to).length : undefined;
  return (
    <AggregatesCard
      testId="cost-per-day-panel"
      title="Cost per day"
      subheader={`${days ? `last ${days} days, ` : ''}per repository · US$ at the configured prices`}
      errorTitle="Could not load the cost per day"
      aggregates={aggregates}
      error={error}
      render={(a) => <CostPerDay repo={repo} aggregates={a} />}
    />
  );
}

function CostPerDay({ repo, aggregates }: { repo: string; aggregates: AggregatesResponse }) {
  const theme = useTheme();
  const days = windowDays(aggregates.from, aggregates.to);
  const byDay = new Map<string, RepositoryDayTotals[]>();
  for (const entry of aggregates.perRepositoryDay) {
    const list = byDay.get(entry.day) ?? [];
    list.push(entry);
    byDay.set(entry.day, list);
  }
  // This repository first (the bottom of each bar), the others by name, each with one colour throughout.
  const others = [...new Set(aggregates.perRepositoryDay.map((d) => d.repo))].filter((r) => r !== repo).sort();
  const colour = (r: string) => (r === repo ? theme.palette.primary.main : OTHERS[others.indexOf(r) % OTHERS.length]);
  const stacks = days.map((day) =>
    (byDay.get(day) ?? []).sort((a, b) => (a.repo === repo ? -1 : b.repo === repo ? 1 : a.repo.localeCompare(b.repo))),
  );
  const totals = stacks.map((stack) => stack.reduce((sum, d) => sum + d.costUsd, 0));
  const mine = aggregates.perDay;
  const mineTotal = mine.reduce((sum, d) => sum + d.costUsd, 0);
  const allTotal = totals.reduce((sum, t) => sum + t, 0);

  if (aggregates.perRepositoryDay.length === 0) {
    return (
      <Typography color="textSecondary" data-testid="cost-per-day-empty">
        No job cost in the last {days.length} days.
      </Typography>
    );
  }

  const yMax = niceCeiling(Math.max(...totals));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(2, slot * 0.7);
  const y = (usd: number) => (usd / yMax) * plotH;

  return (
    <>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label="Cost per day"
        data-testid="cost-per-day-chart"
        style={{ maxWidth: '100%', height: 'auto', fontFamily: theme.typography.fontFamily, fontSize: 11 }}
      >
        <ChartAxes
          width={WIDTH}
          height={HEIGHT}
          pad={PAD}
          ticks={[0, yMax / 2, yMax]}
          y={(usd) => PAD.top + plotH - y(usd)}
          formatTick={tickUsd}
          first={days[0]!}
          last={days[days.length - 1]!}
        />
        {days.map((day, i) => {
          let base = PAD.top + plotH;
          return (
            <g key={day} data-testid={`cost-bar-${day}`} data-usd={totals[i]}>
              {stacks[i]!.map((entry) => {
                const h = y(entry.costUsd);
                base -= h;
                return (
                  <rect
                    key={entry.repo}
                    x={PAD.left + i * slot + (slot - barW) / 2}
                    y={base}
                    width={barW}
                    height={h}
                    fill={colour(entry.repo)}
                    {...(entry.repo === repo ? { 'data-testid': `cost-day-${day}`, 'data-usd': entry.costUsd } : {})}
                  >
                    <title>{`${entry.repo}, ${day}: ${formatUsd(entry.costUsd)} (${entry.jobs} jobs)`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
      </svg>
      <Typography variant="body2" color="textSecondary">
        <span style={{ color: theme.palette.primary.main }}>■</span> {repo}
        {others.length > 0
          ? ` · grey: ${others.length} other ${others.length === 1 ? 'repository' : 'repositories'}`
          : ''}
        {' · all repositories '}
        <span data-testid="cost-total-all">{formatUsd(allTotal)}</span>
      </Typography>
      <Table size="small" aria-label={`Cost per day of ${repo}`} data-testid="cost-per-day-table">
        <TableHead>
          <TableRow>
            <TableCell>Day (UTC)</TableCell>
            <TableCell align="right">Jobs</TableCell>
            <TableCell align="right">Billed</TableCell>
            <TableCell align="right">Cost</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {[...mine].reverse().map((d) => (
            <TableRow key={d.day} data-testid={`cost-row-${d.day}`}>
              <TableCell>{d.day}</TableCell>
              <TableCell align="right">{d.jobs}</TableCell>
              <TableCell align="right">{formatSeconds(d.billedSeconds)}</TableCell>
              <TableCell align="right" data-testid="cost-row-usd">
                {formatUsd(d.costUsd)}
              </TableCell>
            </TableRow>
          ))}
          <TableRow>
            <TableCell>
              <strong>{repo}</strong>
            </TableCell>
            <TableCell align="right">{mine.reduce((n, d) => n + d.jobs, 0)}</TableCell>
            <TableCell align="right">{formatSeconds(mine.reduce((n, d) => n + d.billedSeconds, 0))}</TableCell>
            <TableCell align="right" data-testid="cost-total">
              <strong>{formatUsd(mineTotal)}</strong>
            </TableCell>
          </TableRow>
        </TableBody>
      </Table>
    </>
  );
}
