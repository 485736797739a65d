/**
 * What the job runner executes: one job of a workflow with its matrix values fixed and local composite actions
 * already expanded into steps. Expressions (`${{ }}`) are still unevaluated; the runner evaluates them as the job
 * progresses (step outputs and GITHUB_ENV change the contexts), through an ExpressionEngine.
 */
export type Contexts = Record<string, unknown>;
export type JobStatus = 'success' | 'failure' | 'cancelled';

export interface ExpressionEngine {
  /** Replaces every `${{ expr }}` in `text`. */
  interpolate(text: string, contexts: Contexts): string;
  /** Evaluates a step/job `if:`; undefined means `success()`. */
  condition(ifText: string | undefined, contexts: Contexts, status: JobStatus): boolean;
}

export interface StepSpec {
  /** `id:`; outputs are addressable as steps.<id>.outputs when set. */
  id?: string;
  name: string;
  if?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  workingDirectory?: string;
  continueOnError?: boolean | string;
  timeoutMinutes?: number;
  /** `uses: docker://image` steps run in their own container of the job pod. */
  container?: { image: string; entrypoint?: string; args?: string };
  /** Composite actions: steps of one `uses: ./action` share this id, for display. */
  group?: string;
}

export interface ServiceSpecInput {
  name: string;
  image: string;
  env?: Record<string, string>;
}

export interface JobSpec {
  /** Workflow job id (`jobs.<id>`). */
  id: string;
  /** Display name, e.g. `build (1, linux)`. */
  name: string;
  workflow: string;
  /** `container:` image, else the default image. */
  image?: string;
  containerEnv?: Record<string, string>;
  services: ServiceSpecInput[];
  /** workflow env then job env (later wins), unevaluated. */
  env: Record<string, string>;
  defaults: { shell?: string; workingDirectory?: string };
  steps: StepSpec[];
  timeoutMinutes?: number;
  matrix?: Record<string, unknown>;
}
