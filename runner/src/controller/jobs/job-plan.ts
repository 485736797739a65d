/**
 * What a queued job needs up front, read from its workflow file at `head_sha`: the `container:` image, `services:`
 * images and `docker://` step images, matrix-expanded, so the ONE job pod can hold every container from the start.
 * The images come from workflow/pod-needs.ts (shared with `eci-virtual run`). A job we cannot resolve (file missing,
 * an image from a secret or a step output) still gets a runner pod without those containers; `unresolved` says why,
 * in the job record and a pod event, and the hooks then report the missing container by name.
 */
import { interpolate } from '../../workflow/expr/evaluate.js';
import { parseWorkflow } from '../../workflow/load.js';
import { displayName, expandMatrix } from '../../workflow/matrix.js';
import type { WorkflowJob as WorkflowFileJob } from '../../workflow/model.js';
import { podNeeds, type PodNeeds } from '../../workflow/pod-needs.js';

export interface JobPlan extends Omit<PodNeeds, 'buildsImages'> {
  /** The workflow job key (`jobs.<id>`), when the job was found in the file. */
  jobKey?: string;
  buildsImages?: boolean;
  /** Why the plan is partial, for the job record and a pod event. */
  unresolved?: string;
}

const EXPR = /\$\{\{/;

export function planJob(workflowText: string, workflowPath: string, jobName: string): JobPlan {
  let wf;
  try {
    wf = parseWorkflow(workflowText, workflowPath);
  } catch (err) {
    return { services: [], stepImages: [], unresolved: `workflow ${workflowPath}: ${(err as Error).message}` };
  }
  for (const job of wf.jobs) {
    const legs = job.matrix === undefined ? [{}] : safeExpand(job.matrix);
    for (const combo of legs) {
      const contexts = { matrix: combo, github: {}, env: {}, vars: {}, inputs: {}, needs: {} };
      const name = job.name
        ? (tryInterpolate(job.name, contexts) ?? job.name)
        : displayName(job.id, job.matrix === undefined ? {} : combo);
      if (name !== jobName && !(job.matrix === undefined && job.id === jobName)) continue;
      return resolveImages(job, contexts);
    }
  }
  return { services: [], stepImages: [], unresolved: `job "${jobName}" not found in ${workflowPath}` };
}

function safeExpand(matrix: unknown): Record<string, unknown>[] {
  try {
    return expandMatrix(matrix);
  } catch {
    return [];
  }
}

function tryInterpolate(text: string, contexts: Record<string, unknown>): string | undefined {
  try {
    return interpolate(text, { contexts, status: 'success' });
  } catch {
    return undefined;
  }
}

function resolveImages(job: WorkflowFileJob, contexts: Record<string, unknown>): JobPlan {
  const problems: string[] = [];
  const needs = podNeeds(job, (raw, where) => {
    const v = EXPR.test(raw) ? tryInterpolate(raw, contexts) : raw;
    if (!v || EXPR.test(v)) {
      problems.push(`${where} image "${raw}" cannot be resolved before the job starts`);
      return undefined;
    }
    return v.trim();
  });
  const { buildsImages, ...images } = needs;
  return {
    jobKey: job.id,
    ...images,
    ...(buildsImages ? { buildsImages } : {}),
    ...(problems.length ? { unresolved: problems.join('; ') } : {}),
  };
}
