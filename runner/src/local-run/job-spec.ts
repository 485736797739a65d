/**
 * What the job runner executes: one job of a workflow with its matrix values fixed and local composite actions
 * already expanded into steps. Expressions (`${{ }}`) are still unevaluated; the runner evaluates them as the job
 * progresses (step outputs and GITHUB_ENV change the contexts), through an ExpressionEngine.
 */
export type Contexts = Record<string, unknown>;
export type JobStatus = 'success' | 'failure' | 'cancelled';
/** What a job's `if:` sees: a need that was skipped makes neither success() nor failure() true. */
export type ConditionStatus = JobStatus | 'skipped';

export interface ExpressionEngine {
  /** Replaces every `${{ expr }}` in `text`. */
  interpolate(text: string, contexts: Contexts): string;
  /** Evaluates a step/job `if:`; undefined means `success()`. */
  condition(ifText: string | undefined, contexts: Contexts, status: ConditionStatus): boolean;
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
  /** `uses: actions/checkout`: the local working tree is uploaded to the workspace (checkout.ts), below `path`. */
  checkout?: { path?: string };
  /** `uses: docker://image` steps run in their own container of the job pod. */
  container?: { image: string; entrypoint?: string; args?: string };
  /** Steps of a composite action: their own `steps` context and the action's `inputs` (unevaluated). */
  scope?: StepScope;
  /** The end of a composite action: no exec; maps the action's outputs onto the caller's step id. */
  compositeEnd?: { scope: string; outputs: Record<string, string>; callerId?: string; parent?: StepScope };
  /**
   * The action instance this step belongs to (a JavaScript or docker action's pre, main or post): it sees the
   * instance's saved state as STATE_<name> and saves more through GITHUB_STATE (runner: ActionRunner.cs,
   * FileCommandManager.cs SaveStateFileCommand).
   */
  state?: string;
  /** The action's `pre:` step: run at the start of the job, before every main step (runner: PreStepTracker). */
  pre?: StepSpec;
  /** The action's `post:` step: run at the end of the job, in reverse order, once its main step ran. */
  post?: StepSpec;
}

export interface StepScope {
  id: string;
  /** The action's inputs, unevaluated: expressions of the caller's contexts (`parent`'s, or the job's). */
  inputs: Record<string, string>;
  /** The action's directory in the pod: relative to the workspace (`./path`), or absolute (a remote action). */
  actionPath?: string;
  /** The composite action this one is nested in. */
  parent?: StepScope;
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
  /** A step uses a `build-image` action (workflow/pod-needs.ts): the pod gets the kaniko container. */
  buildsImages?: boolean;
  /** workflow env then job env (later wins), unevaluated. */
  env: Record<string, string>;
  defaults: { shell?: string; workingDirectory?: string };
  steps: StepSpec[];
  timeoutMinutes?: number;
  matrix?: Record<string, unknown>;
  strategy?: { 'job-index': number; 'job-total': number };
  /** Job-level `if:` (evaluated by the scheduler when the job's needs are done, before any pod). */
  if?: string;
  /** A step runs a JavaScript action: the pod brings the Node.js runtime (node-runtime.ts) when it has one. */
  usesNode?: boolean;
  /** Remote actions' repositories (action cache key and local directory) to upload before the first step. */
  actions?: { key: string; dir: string }[];
  /** `outputs:` name → expression, evaluated with the job's contexts when it ends. */
  outputs?: Record<string, string>;
}
