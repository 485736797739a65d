import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { EmptyState, MissingAnnotationEmptyState, Progress } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useRef, useState } from 'react';
import { GITHUB_PROJECT_SLUG_ANNOTATION, getProjectSlug } from '../../annotations.js';
import type { JobRecord } from '@eci-virtual/contract';
import { formatTime } from '../../format.js';
import { hasActiveJobs, useAggregates, useAutopilot, useJobs, useSettings } from '../../hooks/useJobs.js';
import { AutopilotPanel } from '../AutopilotPanel/index.js';
import { CostPerDayPanel } from '../CostPerDayPanel/index.js';
import { ErrorView } from '../ErrorView/index.js';
import { ImageCachePanel } from '../ImageCachePanel/index.js';
import { JobDrawer } from '../JobDrawer/index.js';
import { JobsTable } from '../JobsTable/index.js';
import { LatencyChart } from '../LatencyChart/index.js';
import { QueueTrendPanel } from '../QueueTrendPanel/index.js';
import { SummaryCards } from '../SummaryCards/index.js';

/**
 * Props of {@link ElasticCiContent}.
 *
 * @public
 */
export interface ElasticCiContentProps {
  /** How often to reload while any job is queued, pending or running; default 10 000 ms. */
  refreshIntervalMs?: number;
  /** Days of cost and queue-time trends (UTC days, today included); default 30. */
  trendDays?: number;
}

/**
 * The Elastic CI entity tab. Needs a catalog entity in context (`EntityProvider`) with `github.com/project-slug`.
 *
 * @public
 */
export function ElasticCiContent(props: ElasticCiContentProps) {
  const { entity } = useEntity();
  const repo = getProjectSlug(entity);
  if (!repo) {
    const value = entity.metadata.annotations?.[GITHUB_PROJECT_SLUG_ANNOTATION]?.trim();
    return (
      <div data-testid="elastic-ci-missing-annotation">
        {value ? (
          <EmptyState
            missing="field"
            title="Invalid annotation"
            description={
              <>
                The <code>{GITHUB_PROJECT_SLUG_ANNOTATION}</code> annotation of this entity is{' '}
                <code data-testid="elastic-ci-annotation-value">{value}</code>, which is not a GitHub repository as{' '}
                <code>owner/name</code> (for example <code>acme/widgets</code>).
              </>
            }
          />
        ) : (
          <MissingAnnotationEmptyState annotation={GITHUB_PROJECT_SLUG_ANNOTATION} />
        )}
      </div>
    );
  }
  return (
    <ElasticCiView
      repo={repo}
      refreshIntervalMs={props.refreshIntervalMs ?? 10_000}
      trendDays={props.trendDays ?? 30}
    />
  );
}

function ElasticCiView(props: { repo: string; refreshIntervalMs: number; trendDays: number }) {
  const jobs = useJobs(props.repo, props.refreshIntervalMs);
  const settings = useSettings(props.repo);
  const autopilot = useAutopilot(props.repo);
  // Refreshed with the jobs while they run (their cost grows); `jobs.value` is read when a load settles.
  const jobsRef = useRef(jobs.value);
  jobsRef.current = jobs.value;
  const aggregates = useAggregates(props.repo, props.trendDays, props.refreshIntervalMs, () =>
    jobsRef.current ? hasActiveJobs(jobsRef.current) : false,
  );
  const [selectedId, setSelectedId] = useState<string>();

  if (jobs.loading) return <Progress />;
  if (!jobs.value) {
    return (
      <div data-testid="elastic-ci-error">
        <ErrorView error={jobs.error ?? new Error('No answer from the controller')} />
      </div>
    );
  }
  const response = jobs.value;
  const settingsPanel = <ImageCachePanel loading={settings.loading} settings={settings.value} error={settings.error} />;
  // Look the selected job up in the latest answer, so an open drawer follows auto-refresh.
  const selected: JobRecord | undefined = response.jobs.find((job) => job.id === selectedId);
  const refreshing = hasActiveJobs(response);

  return (
    <Grid container spacing={3} direction="column" data-testid="elastic-ci-content">
      <Grid item>
        <Typography variant="body2" color="textSecondary" data-testid="refresh-state">
          {props.repo} · updated {formatTime(response.generatedAt)}
          {refreshing ? ` · refreshing every ${Math.round(props.refreshIntervalMs / 1000)} s while jobs run` : ''}
          {jobs.error ? ` · last refresh failed: ${jobs.error.message}` : ''}
        </Typography>
      </Grid>
      {response.jobs.length === 0 ? (
        <Grid item data-testid="elastic-ci-empty">
          <EmptyState
            missing="data"
            title="No jobs yet"
            description={`No GitHub Actions job of ${props.repo} has run on eci-virtual runners in this period.`}
            action={
              <Button variant="outlined" color="primary" onClick={jobs.retry}>
                Reload
              </Button>
            }
          />
        </Grid>
      ) : (
        <>
          <Grid item>
            <SummaryCards summary={response.summary} />
          </Grid>
          <Grid item>
            <LatencyChart jobs={response.jobs} />
          </Grid>
          <Grid item>
            <Grid container spacing={3}>
              <Grid item xs={12} md={6}>
                <CostPerDayPanel repo={props.repo} aggregates={aggregates.value} error={aggregates.error} />
              </Grid>
              <Grid item xs={12} md={6}>
                <QueueTrendPanel repo={props.repo} aggregates={aggregates.value} error={aggregates.error} />
              </Grid>
            </Grid>
          </Grid>
          <Grid item>
            <JobsTable jobs={response.jobs} onSelect={(job) => setSelectedId(job.id)} />
          </Grid>
        </>
      )}
      <Grid item>{settingsPanel}</Grid>
      <Grid item>
        <AutopilotPanel autopilot={autopilot.value} error={autopilot.error} />
      </Grid>
      <JobDrawer job={selected} onClose={() => setSelectedId(undefined)} />
    </Grid>
  );
}
