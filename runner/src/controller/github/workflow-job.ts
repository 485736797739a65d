/**
 * The slice of GitHub's `workflow_job` object (webhook payload and REST `GET .../actions/jobs/{id}`) the controller
 * uses, validated once at the edge so the rest of the code can trust it.
 */
import { InvalidInput } from '@eci-virtual/contract';

export type WorkflowJobStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';

export interface WorkflowJob {
  id: number;
  runId: number;
  runAttempt: number;
  repo: string;
  /** The job's display name, matrix values included, e.g. `test (18, ubuntu)`. */
  name: string;
  workflowName: string;
  headSha: string;
  labels: string[];
  status: WorkflowJobStatus;
  conclusion: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  runnerName: string | null;
  htmlUrl: string;
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || !v) throw new InvalidInput(`workflow_job.${what} must be a non-empty string`);
  return v;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    throw new InvalidInput(`workflow_job.${what} must be a positive integer`);
  return v;
};
const optStr = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** Parses a REST/webhook `workflow_job` object; `repo` is `owner/name`. */
export function parseWorkflowJob(raw: unknown, repo: string): WorkflowJob {
  if (typeof raw !== 'object' || raw === null) throw new InvalidInput('workflow_job must be an object');
  const j = raw as Record<string, unknown>;
  // GitHub's webhook description types `labels` items as string or null in `webhook-workflow-job-completed` (the
  // second `allOf` branch; the first says string): a null names no label, so it is dropped rather than refusing
  // the delivery.
  const labels = j.labels;
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string' && l !== null))
    throw new InvalidInput('workflow_job.labels must be an array of strings');
  return {
    id: num(j.id, 'id'),
    runId: num(j.run_id, 'run_id'),
    runAttempt: j.run_attempt === undefined || j.run_attempt === null ? 1 : num(j.run_attempt, 'run_attempt'),
    repo,
    name: str(j.name, 'name'),
    workflowName: optStr(j.workflow_name) ?? '',
    headSha: str(j.head_sha, 'head_sha'),
    labels: labels.filter((l): l is string => typeof l === 'string'),
    status: str(j.status, 'status') as WorkflowJobStatus,
    conclusion: optStr(j.conclusion),
    createdAt: optStr(j.created_at) ?? new Date().toISOString(),
    startedAt: optStr(j.started_at),
    completedAt: optStr(j.completed_at),
    runnerName: optStr(j.runner_name),
    // Only a link (kept in a pod annotation): one longer than any real URL is replaced by the one GitHub would give.
    htmlUrl:
      [optStr(j.html_url)].find((u) => u !== null && u.length <= 2048) ??
      `https://github.com/${repo}/actions/runs/${String(j.run_id)}/job/${String(j.id)}`,
  };
}

/**
 * Exact binding: a job whose `runs-on` holds a label with this prefix (unique per job, e.g.
 * `eci-bind-${{ github.run_id }}-${{ github.job }}-${{ strategy.job-index }}`) gets a runner registered with exactly
 * its labels. GitHub gives a job only to a runner that has all of the job's labels, so no other job with its own
 * binding label can take that runner, and the job cannot land in a pod built for another job.
 */
export const BIND_LABEL_PREFIX = 'eci-bind-';

const isBindLabel = (label: string) => label.toLowerCase().startsWith(BIND_LABEL_PREFIX);

/** Whether a job with these labels is bound to the runner registered for it (see BIND_LABEL_PREFIX). */
export const isBound = (jobLabels: readonly string[]): boolean => jobLabels.some(isBindLabel);

/**
 * True when the job names one of our labels and nothing we lack (GitHub assigns a runner only if it has all of them;
 * `self-hosted` is implied for ours, and binding labels are ours to register).
 */
export function servesLabels(jobLabels: string[], ours: string[]): boolean {
  const mine = new Set(ours.map((l) => l.toLowerCase()));
  const wanted = jobLabels.map((l) => l.toLowerCase());
  return wanted.some((l) => mine.has(l)) && wanted.every((l) => mine.has(l) || l === 'self-hosted' || isBindLabel(l));
}

/**
 * The labels to register a job's JIT runner with: exactly the job's labels when it carries a binding label (see
 * BIND_LABEL_PREFIX), else the controller's configured labels (runners are then interchangeable between jobs).
 */
export function runnerLabels(jobLabels: string[], ours: string[]): string[] {
  return jobLabels.some(isBindLabel) ? [...new Set(jobLabels)] : ours;
}

export const REPO_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
