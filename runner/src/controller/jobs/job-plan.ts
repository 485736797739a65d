/**
 * What a queued job needs up front, read from its workflow file at `head_sha`: the `container:` image, `services:`
 * images and `docker://` step images, matrix-expanded, so the ONE job pod can hold every container from the start.
 * A job we cannot resolve (file missing, unsupported expression) still gets a runner pod; its hooks then fall back to
 * a second pod for the job container (see hooks/prepare-job.ts).
 */
import { interpolate } from '../../workflow/expr/evaluate.js';
import { parseWorkflow } from '../../workflow/load.js';
import { displayName, expandMatrix } from '../../workflow/matrix.js';
import type { WorkflowJob as WorkflowFileJob } from '../../workflow/model.js';

export interface JobPlan {
  /** The workflow job key (`jobs.<id>`), when the job was found in the file. */
  jobKey?: string;
  container?: { image: string; env: Record<string, string> };
  services: { name: string; image: string; env: Record<string, string> }[];
  stepImages: string[];
  /** A step uses a `build-image` action (ours, local or remote): the pod needs the kaniko container. */
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
  const image = (raw: string, where: string): string | undefined => {
    const v = EXPR.test(raw) ? tryInterpolate(raw, contexts) : raw;
    if (!v || EXPR.test(v)) {
      problems.push(`${where} image "${raw}" cannot be resolved before the job starts`);
      return undefined;
    }
    return v.trim();
  };
  const plan: JobPlan = { jobKey: job.id, services: [], stepImages: [] };
  if (job.container) {
    const img = image(job.container.image, 'container');
    if (img) plan.container = { image: img, env: job.container.env };
  }
  for (const [name, svc] of Object.entries(job.services)) {
    const img = image(svc.image, `services.${name}`);
    if (img) plan.services.push({ name, image: img, env: svc.env });
  }
  for (const step of job.steps) {
    if (step.uses && /(^|\/)build-image(@[^/]*)?$/.test(step.uses)) plan.buildsImages = true;
    if (step.uses?.startsWith('docker://')) {
      const img = image(step.uses.slice('docker://'.length), `step at line ${step.line}`);
      if (img && !plan.stepImages.includes(img)) plan.stepImages.push(img);
    }
  }
  if (problems.length) plan.unresolved = problems.join('; ');
  return plan;
}
