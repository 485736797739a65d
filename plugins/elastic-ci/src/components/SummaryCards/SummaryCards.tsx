import Grid from '@material-ui/core/Grid';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import type { JobsSummary } from '@eci-virtual/contract';
import { formatMs, formatShare, formatUsd } from '../../format.js';

const useStyles = makeStyles((theme) => ({
  card: { padding: theme.spacing(2), height: '100%' },
  figure: { fontSize: '1.75rem', fontWeight: 500, lineHeight: 1.3 },
}));

function SummaryCard(props: { title: string; testId: string; figure: string; detail?: string }) {
  const classes = useStyles();
  return (
    <Paper className={classes.card} role="group" aria-label={props.title}>
      <Typography variant="overline" color="textSecondary">
        {props.title}
      </Typography>
      <div className={classes.figure} data-testid={props.testId}>
        {props.figure}
      </div>
      {props.detail && (
        <Typography variant="body2" color="textSecondary">
          {props.detail}
        </Typography>
      )}
    </Paper>
  );
}

/** The four headline figures: volume, start latency, virtual-node share, cost. */
export function SummaryCards({ summary }: { summary: JobsSummary }) {
  return (
    <Grid container spacing={2}>
      <Grid item xs={12} sm={6} md={3}>
        <SummaryCard
          title="Jobs, last 7 days"
          testId="summary-jobs7d"
          figure={String(summary.jobs7d)}
          detail={summary.running > 0 ? `${summary.running} running now` : 'none running'}
        />
      </Grid>
      <Grid item xs={12} sm={6} md={3}>
        <SummaryCard
          title="Queued → running"
          testId="summary-latency"
          figure={`p50 ${formatMs(summary.p50QueuedToRunningMs)}`}
          detail={`p95 ${formatMs(summary.p95QueuedToRunningMs)}`}
        />
      </Grid>
      <Grid item xs={12} sm={6} md={3}>
        <SummaryCard
          title="On virtual nodes"
          testId="summary-virtual-share"
          figure={formatShare(summary.virtualShare)}
          detail="of jobs with a node"
        />
      </Grid>
      <Grid item xs={12} sm={6} md={3}>
        <SummaryCard
          title="Estimated cost"
          testId="summary-cost"
          figure={formatUsd(summary.totalCostUsd)}
          detail="pod-seconds × configured prices"
        />
      </Grid>
    </Grid>
  );
}
