/**
 * Runs a workflow's jobs the way GitHub schedules them: a job starts once every job it `needs` has finished, matrix
 * legs run side by side, at most `concurrency` jobs at a time and at most `strategy.max-parallel` legs of one job.
 *
 * - A job's `if:` is decided when its needs are done, with the status functions reading the needs' results: any
 *   failed or cancelled need makes it `failure()`, a skipped need makes neither `success()` nor `failure()` true, so
 *   without a status function in its `if:` (`always()`, `failure()`…) the job is skipped.
 * - `strategy.fail-fast` (default true): a failing leg cancels the running legs of the same job and the ones not
 *   started yet.
 * - `needs.<id>.result` aggregates the legs (failure > cancelled > success > skipped); `needs.<id>.outputs` takes
 *   each output from the leg that finished last having set it (GitHub's last-writer-wins for matrix jobs).
 * - Cancelling `signal` (Ctrl-C) cancels running jobs; jobs not started yet are reported cancelled, not run.
 *
 * No I/O: running one job, deciding its `if:` and reporting a job that does not run are the caller's, so the rules
 * here are tested with fakes.
 */
import { describeError } from '@eci-virtual/contract';
import type { ConditionStatus } from '../workflow/expr/evaluate.js';
import type { JobSpec } from './job-spec.js';
import type { JobConclusion, JobResult } from './reporter.js';

/** One runnable unit: a job, or one leg of a matrix job. */
export interface PlannedJob {
  spec: JobSpec;
  /** Job ids (`jobs.<id>`) this one waits for. */
  needs: string[];
  /** `strategy.fail-fast` (default true). */
  failFast: boolean;
  /** `strategy.max-parallel`: legs of this job at once. */
  maxParallel?: number;
}

/** `needs.<id>` as a dependent job sees it. */
export interface NeedResult {
  result: JobConclusion;
  outputs: Record<string, string>;
}
export type NeedsContext = Record<string, NeedResult>;

export interface SchedulerOptions {
  /** In workflow order (needs first); results come back in this order. */
  jobs: PlannedJob[];
  /** At most this many jobs run at once (≥ 1). */
  concurrency: number;
  /** The whole run's cancellation. */
  signal?: AbortSignal;
  /** The job's `if:` with its needs; may throw (a bad expression fails the job). */
  condition: (job: PlannedJob, needs: NeedsContext, status: ConditionStatus) => boolean;
  /** Runs one job to its end; `signal` aborts when the run is cancelled or fail-fast cancels the job. */
  run: (job: PlannedJob, needs: NeedsContext, signal: AbortSignal) => Promise<JobResult>;
  /** The result of a job that does not run: skipped by its `if:`, cancelled before it started, or failed to start. */
  notRun: (job: PlannedJob, conclusion: JobConclusion, reason: string) => JobResult;
}

export interface RunOutcome {
  results: JobResult[];
  needs: NeedsContext;
}

/** The status functions of a job's `if:`, from its needs' results and whether the run was cancelled. */
export function needsStatus(needs: NeedResult[], cancelled: boolean): ConditionStatus {
  if (cancelled) return 'cancelled';
  if (needs.some((n) => n.result === 'failure' || n.result === 'cancelled')) return 'failure';
  if (needs.some((n) => n.result === 'skipped')) return 'skipped';
  return 'success';
}

/** One job id's result over its legs: failure > cancelled > success > skipped. */
export function aggregateResult(legs: JobConclusion[]): JobConclusion {
  for (const c of ['failure', 'cancelled', 'success'] as const) if (legs.includes(c)) return c;
  return 'skipped';
}

export async function runJobs(o: SchedulerOptions): Promise<RunOutcome> {
  const concurrency = Math.max(1, Math.floor(o.concurrency));
  const results: (JobResult | undefined)[] = o.jobs.map(() => undefined);
  const running = new Map<number, AbortController>();
  const legsOf = new Map<string, number[]>();
  o.jobs.forEach((j, i) => legsOf.set(j.spec.id, [...(legsOf.get(j.spec.id) ?? []), i]));
  /** Outputs per job id, in the order legs finished (last writer wins). */
  const outputs = new Map<string, Record<string, string>>();
  const cancelledByFailFast = new Set<number>();

  const done = (i: number) => results[i] !== undefined;
  const finishedJob = (id: string) => (legsOf.get(id) ?? []).every(done);
  const needResult = (id: string): NeedResult => ({
    result: aggregateResult((legsOf.get(id) ?? []).map((i) => results[i]!.conclusion)),
    outputs: outputs.get(id) ?? {},
  });
  const needsOf = (job: PlannedJob): NeedsContext => Object.fromEntries(job.needs.map((n) => [n, needResult(n)]));
  const runningLegs = (id: string) => (legsOf.get(id) ?? []).filter((i) => running.has(i)).length;

  let wake: () => void = () => undefined;
  const record = (i: number, result: JobResult) => {
    results[i] = result;
    const id = o.jobs[i]!.spec.id;
    const merged = outputs.get(id) ?? {};
    for (const [k, v] of Object.entries(result.outputs ?? {})) if (v !== '') merged[k] = v;
    outputs.set(id, merged);
  };
  const failFast = (i: number) => {
    const job = o.jobs[i]!;
    const siblings = (legsOf.get(job.spec.id) ?? []).filter((s) => s !== i);
    if (!job.failFast || !siblings.length) return;
    for (const s of siblings) {
      if (done(s)) continue;
      cancelledByFailFast.add(s);
      const controller = running.get(s);
      if (controller) controller.abort();
      else record(s, o.notRun(o.jobs[s]!, 'cancelled', `fail-fast: ${job.spec.name} failed`));
    }
  };

  const start = (i: number) => {
    const job = o.jobs[i]!;
    const needs = needsOf(job);
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    running.set(i, controller);
    void o
      .run(job, needs, controller.signal)
      .catch((err: unknown) => o.notRun(job, 'failure', describeError(err)))
      .then((result) => {
        o.signal?.removeEventListener('abort', onAbort);
        running.delete(i);
        record(i, result);
        if (result.conclusion === 'failure' && !cancelledByFailFast.has(i)) failFast(i);
        wake();
      });
  };

  /** Starts (or settles without running) every job whose needs are done, within the limits. */
  const pump = () => {
    for (const [i, job] of o.jobs.entries()) {
      if (done(i) || running.has(i)) continue;
      if (o.signal?.aborted) {
        record(i, o.notRun(job, 'cancelled', 'the run was cancelled'));
        continue;
      }
      if (!job.needs.every(finishedJob)) continue;
      const needs = needsOf(job);
      let go: boolean;
      try {
        go = o.condition(job, needs, needsStatus(Object.values(needs), false));
      } catch (err) {
        record(i, o.notRun(job, 'failure', `if: ${describeError(err)}`));
        continue;
      }
      if (!go) {
        const unmet = job.needs.filter((n) => needs[n]!.result !== 'success');
        const reason = unmet.length
          ? `needs ${unmet.map((n) => `${n} (${needs[n]!.result})`).join(', ')}`
          : 'its if: is false';
        record(i, o.notRun(job, 'skipped', reason));
        continue;
      }
      if (running.size >= concurrency) continue;
      if (job.maxParallel !== undefined && runningLegs(job.spec.id) >= job.maxParallel) continue;
      start(i);
    }
  };

  await new Promise<void>((resolve) => {
    // One pass settles everything it can: jobs come in needs order, so a job skipped early in the pass frees
    // its dependents later in the same pass.
    const onAbort = () => wake();
    wake = () => {
      pump();
      if (results.every((r) => r !== undefined)) {
        o.signal?.removeEventListener('abort', onAbort);
        resolve();
      }
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    wake();
  });
  const finalResults = results as JobResult[];
  return {
    results: finalResults,
    needs: Object.fromEntries([...legsOf.keys()].map((id) => [id, needResult(id)])),
  };
}
