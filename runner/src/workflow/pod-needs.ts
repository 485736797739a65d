/**
 * What a workflow job needs in its pod up front — the `container:` image, `services:` images and env, distinct
 * `docker://` step images, and whether a step builds images (the kaniko container) — read from the workflow model.
 * The one place both the controller (controller/jobs/job-plan.ts, at head_sha) and `eci-virtual run`
 * (local-run/from-workflow.ts) turn a job into pod needs. Pure: image expressions are resolved by the caller.
 */
import type { WorkflowJob } from './model.js';

export interface PodNeeds {
  container?: { image: string; env: Record<string, string> };
  services: { name: string; image: string; env: Record<string, string> }[];
  /** Distinct `docker://` step images, in order of first use. */
  stepImages: string[];
  /** A step uses a `build-image` action: the pod needs the kaniko container. */
  buildsImages: boolean;
}

/**
 * The one rule for "this step builds images": its action is a `build-image` directory — ours from this repository
 * (`./actions/build-image`) or from GitHub (`<org>/eci-virtual/actions/build-image@<ref>`).
 */
export function usesBuildImage(uses: string | undefined): boolean {
  return uses !== undefined && /(^|\/)build-image\/?(@[^/]*)?$/.test(uses);
}

/**
 * `resolve` turns an image as written (maybe with `${{ }}`) into the image to pull, or undefined when it cannot be
 * known yet; `where` names it for the caller's message (`container`, `services.db`, `step at line 12`).
 */
export function podNeeds(job: WorkflowJob, resolve: (raw: string, where: string) => string | undefined): PodNeeds {
  const needs: PodNeeds = { services: [], stepImages: [], buildsImages: false };
  if (job.container) {
    const image = resolve(job.container.image, 'container');
    if (image) needs.container = { image, env: job.container.env };
  }
  for (const [name, svc] of Object.entries(job.services)) {
    const image = resolve(svc.image, `services.${name}`);
    if (image) needs.services.push({ name, image, env: svc.env });
  }
  for (const step of job.steps) {
    if (usesBuildImage(step.uses)) needs.buildsImages = true;
    if (step.uses?.startsWith('docker://')) {
      const image = resolve(step.uses.slice('docker://'.length), `step at line ${step.line}`);
      if (image && !needs.stepImages.includes(image)) needs.stepImages.push(image);
    }
  }
  return needs;
}
