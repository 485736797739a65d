import { MTableBodyRow } from '@material-table/core';
import {
  Link,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  SubvalueCell,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useMemo } from 'react';
import type { JobRecord, JobStatus } from '@eci-virtual/contract';
import { formatMs, formatSeconds, formatTime, formatUsd } from '../../format.js';
import { PlacementBadge } from '../PlacementBadge/index.js';
import { QueueBar } from '../QueueBar/index.js';

/** One table row: the record plus the flat fields material-table sorts, filters and searches on. */
export interface JobRow {
  id: string;
  record: JobRecord;
  workflowJob: string;
  status: JobStatus;
  placement: 'virtual' | 'regular' | 'none';
  nodeName: string;
  resources: string;
  queuedAt: string;
  queuedToRunningMs?: number;
  durationSeconds?: number;
  imageCache: 'hit' | 'miss';
  estimatedCostUsd?: number;
}

export function toRow(job: JobRecord): JobRow {
  return {
    id: job.id,
    record: job,
    workflowJob: `${job.workflow} / ${job.job}`,
    status: job.status,
    placement: job.node?.type ?? 'none',
    nodeName: job.node?.name ?? '',
    resources: `${job.resources.cpu} CPU / ${job.resources.memory}`,
    queuedAt: job.timestamps.queuedAt,
    queuedToRunningMs: job.latency.queuedToRunningMs,
    durationSeconds: job.durationSeconds,
    imageCache: job.imageCache.used ? 'hit' : 'miss',
    estimatedCostUsd: job.estimatedCostUsd,
  };
}

export function StatusCell({ status, conclusion }: { status: JobStatus; conclusion?: string }) {
  const text = conclusion && conclusion !== status ? `${status} (${conclusion})` : status;
  switch (status) {
    case 'succeeded':
      return <StatusOK>{text}</StatusOK>;
    case 'failed':
      return <StatusError>{text}</StatusError>;
    case 'cancelled':
      return <StatusAborted>{text}</StatusAborted>;
    case 'running':
      return <StatusRunning>{text}</StatusRunning>;
    default:
      return <StatusPending>{text}</StatusPending>;
  }
}

/** queued→pod · pod→running · total, each figure with its own test id. */
export function LatencyBreakdown({ job }: { job: JobRecord }) {
  const { queuedToPodMs, podToRunningMs, queuedToRunningMs } = job.latency;
  return (
    <span data-testid={`latency-${job.id}`} aria-label="start latency">
      <span data-testid="latency-total">{formatMs(queuedToRunningMs)}</span>
      <br />
      <small>
        queued→pod <span data-testid="latency-queued-to-pod">{formatMs(queuedToPodMs)}</span> · pod→running{' '}
        <span data-testid="latency-pod-to-running">{formatMs(podToRunningMs)}</span>
      </small>
      <QueueBar jobId={job.id} breakdown={job.queueBreakdown} />
    </span>
  );
}

/**
 * Sorts rows with a missing figure after every row that has one, whatever the direction. material-table calls a
 * custom sort as `(a, b)` ascending and as `(b, a, 'row', 'desc')` descending, so "missing last" depends on it.
 */
function byOptionalNumber(key: 'queuedToRunningMs' | 'durationSeconds' | 'estimatedCostUsd') {
  return (x: JobRow, y: JobRow, _type?: string, direction?: string) => {
    const a = x[key];
    const b = y[key];
    if (a === undefined && b === undefined) return 0;
    if (a === undefined) return direction === 'desc' ? -1 : 1;
    if (b === undefined) return direction === 'desc' ? 1 : -1;
    return a - b;
  };
}

const STATUSES: Record<JobStatus, string> = {
  queued: 'queued',
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** Fresh column definitions: material-table writes its state (sort, filter) into them, so each table owns its own. */
function makeColumns(): TableColumn<JobRow>[] {
  return [
    {
      title: 'Workflow / job',
      field: 'workflowJob',
      highlight: true,
      render: (row) => (
        <SubvalueCell
          value={
            <Link to={row.record.htmlUrl} onClick={(event) => event.stopPropagation()}>
              {row.workflowJob}
            </Link>
          }
          subvalue={`run ${row.record.runId} #${row.record.runAttempt}`}
        />
      ),
    },
    {
      title: 'Status',
      field: 'status',
      lookup: STATUSES,
      render: (row) => <StatusCell status={row.status} conclusion={row.record.conclusion} />,
    },
    {
      title: 'Placement',
      field: 'placement',
      lookup: { virtual: 'virtual', regular: 'regular', none: 'no node yet' },
      render: (row) => <PlacementBadge node={row.record.node} />,
    },
    { title: 'CPU / memory', field: 'resources', filtering: false },
    {
      title: 'Start latency',
      field: 'queuedToRunningMs',
      type: 'numeric',
      filtering: false,
      searchable: false,
      customSort: byOptionalNumber('queuedToRunningMs'),
      render: (row) => <LatencyBreakdown job={row.record} />,
    },
    {
      title: 'Duration',
      field: 'durationSeconds',
      type: 'numeric',
      filtering: false,
      searchable: false,
      customSort: byOptionalNumber('durationSeconds'),
      render: (row) => formatSeconds(row.durationSeconds),
    },
    {
      title: 'Image cache',
      field: 'imageCache',
      lookup: { hit: 'hit', miss: 'miss' },
      render: (row) => <span data-testid="image-cache">{row.imageCache}</span>,
    },
    {
      title: 'Cost',
      field: 'estimatedCostUsd',
      type: 'numeric',
      filtering: false,
      searchable: false,
      customSort: byOptionalNumber('estimatedCostUsd'),
      render: (row) => <span data-testid="job-cost">{formatUsd(row.estimatedCostUsd)}</span>,
    },
    {
      title: 'Queued',
      field: 'queuedAt',
      filtering: false,
      render: (row) => formatTime(row.queuedAt),
    },
  ];
}

/** Each row carries `data-testid="job-row-<id>"`; a module-level component, so refreshes do not remount rows. */
function JobTableRow(rowProps: { data: JobRow }) {
  return <MTableBodyRow {...rowProps} data-testid={`job-row-${rowProps.data.id}`} />;
}
const TABLE_COMPONENTS = { Row: JobTableRow };

/**
 * The jobs table, in the controller's order (newest first) until the user sorts — no `defaultSort`: material-table
 * re-applies a default sort whenever the data changes, which would undo the user's choice on every refresh. Sortable
 * columns, a filter row (status, placement, image cache), search and paging. Sorting,
 * filters and the page survive auto-refresh: the columns live as long as the table.
 */
export function JobsTable(props: { jobs: JobRecord[]; onSelect: (job: JobRecord) => void }) {
  const columns = useMemo(makeColumns, []);
  const rows = props.jobs.map(toRow);
  return (
    <Table<JobRow>
      title="Jobs"
      subtitle="Click a row for the pod timeline"
      columns={columns}
      data={rows}
      options={{
        paging: true,
        pageSize: 20,
        pageSizeOptions: [20, 50, 100],
        search: true,
        filtering: true,
        padding: 'dense',
        emptyRowsWhenPaging: false,
      }}
      onRowClick={(_event, row) => row && props.onSelect(row.record)}
      components={TABLE_COMPONENTS}
    />
  );
}
