/**
 * `eci-virtual run --list`: the jobs and matrix legs a run would start, in the order the workflow declares them,
 * with what each waits for and the shape of the one pod each gets (job image, services, `docker://` step containers,
 * kaniko, placement, cpu/memory). Reads the workflow and `.github/eci-virtual.yml` only: no cluster needed.
 *
 * Images are evaluated as the pod builder evaluates them (the job's contexts: matrix, env, github); an image whose
 * expression needs what only a run has (`needs`, step outputs) is shown as written.
 */
import { describeError } from '@eci-virtual/contract';
import type { JobRunOptions } from '../local-run/job-runner.js';
import { JobContexts } from '../local-run/job-contexts.js';
import type { Contexts, ExpressionEngine, JobSpec } from '../local-run/job-spec.js';
import type { PlannedJob } from '../local-run/scheduler.js';

export interface ListedJob {
  id: string;
  name: string;
  needs: string[];
  if?: string;
  image: string;
  services: { name: string; image: string }[];
  /** `docker://` step images, by step number (1-based, as the step table shows them). */
  stepImages: { step: number; image: string }[];
  kaniko: boolean;
  placement: 'virtual' | 'any';
  cpu?: string;
  memory?: string;
  steps: number;
  /** Why the shape is incomplete (a setting the run would refuse). */
  problem?: string;
}

type Shape = Pick<JobRunOptions, 'placement' | 'kaniko' | 'resources'>;

export function listJobs(
  jobs: PlannedJob[],
  opts: {
    expressions: ExpressionEngine;
    repository: string;
    defaultImage: string | undefined;
    env?: Record<string, string>;
    shape: (spec: JobSpec) => Shape;
  },
): ListedJob[] {
  return jobs.map(({ spec, needs }) => {
    const contexts = new JobContexts({ job: spec, repository: opts.repository }, opts.expressions);
    let ctx: Contexts | undefined;
    try {
      contexts.startEnv(opts.env);
      ctx = contexts.get();
    } catch {
      // An env expression that needs a run: images stay as written.
    }
    const image = (raw: string) => {
      try {
        return ctx ? opts.expressions.interpolate(raw, ctx) : raw;
      } catch {
        return raw;
      }
    };
    let shape: Shape = { placement: 'virtual' };
    let problem: string | undefined;
    try {
      shape = opts.shape(spec);
    } catch (err) {
      problem = describeError(err);
    }
    return {
      id: spec.id,
      name: spec.name,
      needs,
      ...(spec.if ? { if: spec.if } : {}),
      image: spec.image ? image(spec.image) : (opts.defaultImage ?? '(default image: --image)'),
      services: spec.services.map((s) => ({ name: s.name, image: image(s.image) })),
      stepImages: spec.steps.flatMap((s, i) => (s.container ? [{ step: i + 1, image: image(s.container.image) }] : [])),
      kaniko: shape.kaniko !== undefined || spec.buildsImages === true,
      placement: shape.placement,
      ...(shape.resources?.cpu ? { cpu: shape.resources.cpu } : {}),
      ...(shape.resources?.memory ? { memory: shape.resources.memory } : {}),
      steps: spec.steps.filter((s) => !s.compositeEnd).length,
      ...(problem ? { problem } : {}),
    };
  });
}

/** The human listing: one block per job or leg, its needs and pod on indented lines. */
export function renderList(rows: ListedJob[]): string {
  const out: string[] = [];
  for (const r of rows) {
    const head = r.name === r.id ? r.id : `${r.name}  (jobs.${r.id})`;
    out.push(head);
    if (r.needs.length) out.push(`  needs     ${r.needs.join(', ')}`);
    if (r.if) out.push(`  if        ${r.if}`);
    const resources = [r.cpu ? `cpu ${r.cpu}` : '', r.memory ? `memory ${r.memory}` : ''].filter(Boolean);
    out.push(`  pod       ${[`${r.placement === 'virtual' ? 'virtual node' : 'any node'}`, ...resources].join(', ')}`);
    out.push(`  job       ${r.image}  (${r.steps} step${r.steps === 1 ? '' : 's'})`);
    for (const s of r.services) out.push(`  service   ${s.name}: ${s.image}`);
    for (const s of r.stepImages) out.push(`  step ${String(s.step).padEnd(4)} ${s.image}`);
    if (r.kaniko) out.push('  kaniko    image builds');
    if (r.problem) out.push(`  refused   ${r.problem}`);
  }
  return out.join('\n') + '\n';
}
