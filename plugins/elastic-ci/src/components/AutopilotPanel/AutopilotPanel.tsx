import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { InfoCard, Progress } from '@backstage/core-components';
import type { ReactNode } from 'react';
import type { AutopilotDecision, AutopilotResponse } from '@eci-virtual/contract';
import { formatTime } from '../../format.js';
import { ErrorView } from '../ErrorView/index.js';

const ACTION_COLOR: Record<AutopilotDecision['action'], 'primary' | 'secondary' | 'default'> = {
  create: 'primary',
  refresh: 'primary',
  retire: 'secondary',
  keep: 'default',
  wait: 'default',
  skip: 'default',
};

/** The decisions shown at most (the newest). */
const MAX_ROWS = 50;

function summary(a: AutopilotResponse): string {
  if (!a.enabled) return 'The image-cache autopilot is off for this controller.';
  const where = a.backend === 'docker' ? 'pre-pulls on the docker engine' : 'ECI image caches';
  const budget = a.budget ? `, at most ${a.budget.maxSets} sets / ${a.budget.maxTotalGiB} GiB` : '';
  const every = a.intervalSeconds ? `, a pass every ${Math.round(a.intervalSeconds)} s` : '';
  return `Keeps ${where} warm for this repository's hot images${budget}${every}.`;
}

/** The set's name and size; a decision about one image outside any set (a learnt kaniko base image) names it. */
function setOf(d: AutopilotDecision): string {
  if (!d.name && d.images.length === 1) return d.images[0]!;
  return `${d.name} · ${d.images.length} image${d.images.length === 1 ? '' : 's'}`;
}

/** How hot the images are: the weight (Σ decayed uses × seconds a miss costs) and, for a learnt image, its uses. */
function weightOf(d: AutopilotDecision): string {
  if (d.weight === undefined) return '—';
  return d.uses === undefined ? `${d.weight}` : `${d.weight} · ${d.uses} use${d.uses === 1 ? '' : 's'}`;
}

function outcome(d: AutopilotDecision): string {
  if (d.outcome === 'failed') return `failed${d.error ? `: ${d.error}` : ''}`;
  if (d.outcome === 'done') return d.createdId ? `done (${d.createdId})` : 'done';
  return d.repeats ? `again in ${d.repeats} later passes, last ${formatTime(d.lastAt)}` : '—';
}

/** What the image-cache autopilot decided for the repository, and why. */
export function AutopilotPanel(props: { autopilot?: AutopilotResponse; error?: Error }) {
  const { autopilot, error } = props;
  let content: ReactNode;
  if (!autopilot && error) content = <ErrorView error={error} title="Could not load the autopilot's decisions" />;
  else if (!autopilot) content = <Progress />;
  else {
    const rows = autopilot.decisions.slice(0, MAX_ROWS);
    content = (
      <>
        <Typography variant="body2" color="textSecondary" data-testid="autopilot-summary" gutterBottom>
          {summary(autopilot)}
        </Typography>
        {autopilot.enabled && rows.length === 0 ? (
          <Typography color="textSecondary" data-testid="autopilot-empty">
            No decision yet: a set of images is cached once this repository's jobs used it at least twice.
          </Typography>
        ) : null}
        {rows.length > 0 ? (
          <Table size="small" aria-label="Autopilot decisions" data-testid="autopilot-decisions">
            <TableHead>
              <TableRow>
                <TableCell>When</TableCell>
                <TableCell>Decision</TableCell>
                <TableCell>Set</TableCell>
                <TableCell>Weight</TableCell>
                <TableCell>Why</TableCell>
                <TableCell>Outcome</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((d) => (
                <TableRow key={`${d.pass}:${d.action}:${d.setId ?? d.name}`} data-testid="autopilot-decision">
                  <TableCell>{formatTime(d.at)}</TableCell>
                  <TableCell>
                    <Chip size="small" label={d.action} color={ACTION_COLOR[d.action] ?? 'default'} />
                  </TableCell>
                  <TableCell title={d.images.join('\n')} style={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>
                    {setOf(d)}
                  </TableCell>
                  <TableCell data-testid="autopilot-weight">{weightOf(d)}</TableCell>
                  <TableCell data-testid="autopilot-reason">{d.reason}</TableCell>
                  <TableCell data-testid="autopilot-outcome">{outcome(d)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : null}
      </>
    );
  }
  return (
    <div data-testid="autopilot-panel">
      <InfoCard title="Image-cache autopilot" subheader="What it decided for this repository, and why">
        {content}
      </InfoCard>
    </div>
  );
}
