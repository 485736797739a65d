import Drawer from '@material-ui/core/Drawer';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { Link } from '@backstage/core-components';
import type { ReactNode } from 'react';
import type { JobRecord } from '@eci-virtual/contract';
import { formatMs, formatSeconds, formatTime, formatUsd } from '../../format.js';
import { LatencyBreakdown, StatusCell } from '../JobsTable/index.js';
import { PlacementBadge } from '../PlacementBadge/index.js';

const useStyles = makeStyles((theme) => ({
  paper: { width: 560, maxWidth: '100vw', padding: theme.spacing(3) },
  header: { display: 'flex', alignItems: 'flex-start', justifyContent: 'space-between' },
  section: { marginTop: theme.spacing(3) },
  warning: { color: theme.palette.warning.main },
  mono: { fontFamily: 'monospace', wordBreak: 'break-all' },
}));

export interface TimelineEntry {
  at: string;
  /** Milliseconds since the job was queued; undefined when a timestamp does not parse. */
  offsetMs?: number;
  kind: 'phase' | 'Normal' | 'Warning';
  title: string;
  detail?: string;
}

/** The pod's life in order: the four phase timestamps merged with the Kubernetes events. */
export function buildTimeline(job: JobRecord): TimelineEntry[] {
  const phases: [string | undefined, string][] = [
    [job.timestamps.queuedAt, 'Queued on GitHub'],
    [job.timestamps.podCreatedAt, 'Pod created'],
    [job.timestamps.runningAt, 'All containers running'],
    [job.timestamps.finishedAt, 'Finished'],
  ];
  const queued = Date.parse(job.timestamps.queuedAt);
  const entries: TimelineEntry[] = [
    ...phases
      .filter((phase): phase is [string, string] => phase[0] !== undefined)
      .map(([at, title]) => ({ at, kind: 'phase' as const, title })),
    ...job.events.map((event) => ({ at: event.at, kind: event.type, title: event.reason, detail: event.message })),
  ];
  for (const entry of entries) {
    const at = Date.parse(entry.at);
    entry.offsetMs = Number.isNaN(at) || Number.isNaN(queued) ? undefined : at - queued;
  }
  // Stable: a phase and an event at the same instant keep phase-first order.
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (a.entry.offsetMs ?? 0) - (b.entry.offsetMs ?? 0) || a.index - b.index)
    .map(({ entry }) => entry);
}

/** Details of one job: placement, resources, images, latency and the pod timeline. */
export function JobDrawer(props: { job?: JobRecord; onClose: () => void }) {
  const classes = useStyles();
  const { job } = props;
  return (
    <Drawer anchor="right" open={job !== undefined} onClose={props.onClose} classes={{ paper: classes.paper }}>
      {job && (
        <div data-testid="job-drawer" role="region" aria-label={`Job ${job.workflow} / ${job.job}`}>
          <div className={classes.header}>
            <div>
              <Typography variant="h5">
                {job.workflow} / {job.job}
              </Typography>
              <Link to={job.htmlUrl}>Open on GitHub</Link>
            </div>
            <IconButton aria-label="Close job details" onClick={props.onClose} size="small">
              ×
            </IconButton>
          </div>

          <Table size="small" className={classes.section}>
            <TableBody>
              <Row label="Status">
                <StatusCell status={job.status} conclusion={job.conclusion} />
              </Row>
              <Row label="Placement">
                <PlacementBadge node={job.node} />
              </Row>
              <Row label="Pod">{job.pod ? `${job.pod.namespace}/${job.pod.name}` : '—'}</Row>
              <Row label="CPU / memory">
                {job.resources.cpu} / {job.resources.memory}
                {job.eciSpecs?.length ? ` (ECI specs ${job.eciSpecs.join(', ')})` : ''}
              </Row>
              <Row label="Labels">{job.labels.join(', ') || '—'}</Row>
              <Row label="Start latency">
                <LatencyBreakdown job={job} />
              </Row>
              <Row label="Duration">{formatSeconds(job.durationSeconds)}</Row>
              <Row label="Estimated cost">{formatUsd(job.estimatedCostUsd)}</Row>
              <Row label="Images">
                {job.images.map((image) => (
                  <div key={image} className={classes.mono}>
                    {image}
                  </div>
                ))}
              </Row>
              <Row label="Image cache">
                {job.imageCache.used ? `hit${job.imageCache.id ? ` (${job.imageCache.id})` : ''}` : 'miss'}
              </Row>
            </TableBody>
          </Table>

          <Typography variant="h6" className={classes.section}>
            Pod timeline
          </Typography>
          <Table size="small" aria-label="Pod timeline" data-testid="pod-timeline">
            <TableBody>
              {buildTimeline(job).map((entry, index) => (
                <TableRow key={index} data-testid="timeline-entry">
                  <TableCell>{entry.offsetMs === undefined ? '—' : `+${formatMs(entry.offsetMs)}`}</TableCell>
                  <TableCell>
                    <div className={entry.kind === 'Warning' ? classes.warning : undefined}>
                      <strong>{entry.title}</strong>
                      {entry.kind !== 'phase' ? ` (${entry.kind})` : ''}
                    </div>
                    {entry.detail && <Typography variant="body2">{entry.detail}</Typography>}
                    <Typography variant="caption" color="textSecondary">
                      {formatTime(entry.at)}
                    </Typography>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
    </Drawer>
  );
}

function Row(props: { label: string; children: ReactNode }) {
  return (
    <TableRow>
      <TableCell component="th" scope="row" style={{ whiteSpace: 'nowrap' }}>
        {props.label}
      </TableCell>
      <TableCell>{props.children}</TableCell>
    </TableRow>
  );
}
