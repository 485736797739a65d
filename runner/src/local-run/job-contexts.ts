/**
 * The expression contexts of one job (`github`, `env`, `matrix`, `strategy`, `steps`, `job`, `runner`, `secrets`,
 * `inputs`, `needs`, `vars`) and everything that changes them while the job runs: the job's env at start, step
 * outcomes and outputs, GITHUB_ENV / GITHUB_PATH file commands, and the scopes of local composite actions (their own
 * `steps` and `inputs`; their outputs land on the caller's step id). No I/O: the step loop feeds it what the pod
 * reported, and every `${{ }}` and `if:` of the job is evaluated against `get()`.
 *
 * Kept apart from the runner so the rules of how a job's state evolves can be read, and tested, without a cluster.
 */
import { PATHS } from '@eci-virtual/contract';
import { EXPRESSION_HOST, type ExpressionHost } from '../workflow/expr/evaluate.js';
import { hashFiles } from '../workflow/expr/hash-files.js';
import { checkoutDestination, workingTreeFiles } from './checkout.js';
import { parseKeyValueFile, parsePathFile } from './file-commands.js';
import type { Contexts, ExpressionEngine, JobSpec, JobStatus, StepSpec } from './job-spec.js';
import type { RunEvent } from './run-event.js';
import { CheckoutTree } from './workspace-files.js';
import { EVENT_PATH } from './job-files.js';

/** One entry of the `steps` context. */
export interface StepRecord {
  outputs: Record<string, string>;
  outcome: string;
  conclusion: string;
}

export type StepScope = NonNullable<StepSpec['scope']>;

/** The files a step wrote through GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY and GITHUB_STATE. */
export type StepFiles = Partial<Record<'env' | 'output' | 'path' | 'summary' | 'state', string>>;

/** What the contexts are made of that does not change while the job runs. */
export interface JobIdentity {
  job: JobSpec;
  repository: string;
  runId?: string;
  sha?: string;
  ref?: string;
  secrets?: Record<string, string>;
  /** `github.event_name`, `github.event` and the refs they imply (run-event.ts); default `workflow_dispatch`. */
  event?: RunEvent;
  /** The local working tree `actions/checkout` uploads: what `hashFiles()` hashes (workspace-files.ts). */
  checkoutRoot?: string;
  /** `needs.<id>.result` and `needs.<id>.outputs` of the jobs this one needs. */
  needs?: Record<string, { result: string; outputs: Record<string, string> }>;
}

export class JobContexts {
  /** `job.status`, and the status `success()` / `failure()` / `cancelled()` test. */
  status: JobStatus = 'success';
  private readonly env = new Map<string, string>();
  /** Variables added by steps through GITHUB_ENV (not part of the pod's shared env file). */
  private readonly added = new Map<string, string>();
  private path: string[] = [];
  private readonly steps: Record<string, StepRecord> = {};
  /** `steps` contexts of composite actions, by scope id, and their evaluated `inputs`. */
  private readonly scoped = new Map<string, Record<string, StepRecord>>();
  private readonly scopeInputs = new Map<string, Record<string, string>>();
  /** Saved state of each action instance (GITHUB_STATE), shared by its pre, main and post steps. */
  private readonly states = new Map<string, Map<string, string>>();
  /** Where successful checkouts put the working tree (pod paths), for hashFiles(). */
  private readonly checkouts: string[] = [];
  private treeFiles?: string[];
  private readonly host: ExpressionHost = {
    hashFiles: (args, src) => {
      const root = this.id.checkoutRoot;
      const files = root && this.checkouts.length ? (this.treeFiles ??= workingTreeFiles(root)) : [];
      return hashFiles(args, this.workspace(), new CheckoutTree(root ?? '/', files, this.checkouts), src);
    },
  };

  constructor(
    private readonly id: JobIdentity,
    private readonly expressions: ExpressionEngine,
  ) {}

  /** The contexts of the job, or of a composite action's steps when `scope` is set; `extra` replaces whole ones. */
  get(extra: Contexts = {}, scope?: StepScope): Contexts {
    const { job, repository } = this.id;
    const ws = this.workspace();
    const ev = this.id.event;
    const ref = this.id.ref ?? ev?.ref ?? '';
    return {
      github: {
        workflow: job.workflow,
        job: job.id,
        run_id: this.id.runId ?? '1',
        run_number: '1',
        run_attempt: '1',
        repository,
        repository_owner: repository.split('/')[0],
        sha: this.id.sha ?? ev?.sha ?? '',
        ref,
        ref_name: ref.replace(/^refs\/(heads|tags|pull)\//, ''),
        ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
        head_ref: ev?.headRef ?? '',
        base_ref: ev?.baseRef ?? '',
        event_name: ev?.name ?? 'workflow_dispatch',
        event: ev?.payload ?? {},
        actor: ev?.actor ?? 'eci-virtual',
        server_url: 'https://github.com',
        workspace: ws,
        ...(scope?.actionPath
          ? { action_path: scope.actionPath.startsWith('/') ? scope.actionPath : `${ws}/${scope.actionPath}` }
          : {}),
      },
      env: Object.fromEntries(this.env),
      matrix: job.matrix ?? {},
      steps: scope ? (this.scoped.get(scope.id) ?? {}) : this.steps,
      job: { status: this.status },
      runner: {
        os: 'Linux',
        arch: 'X64',
        name: 'eci-virtual',
        temp: PATHS.temp,
        tool_cache: '/__t',
        environment: 'self-hosted',
      },
      secrets: this.id.secrets ?? {},
      inputs: scope ? this.inputsOf(scope) : {},
      needs: this.id.needs ?? {},
      strategy: job.strategy ?? {},
      vars: {},
      ...extra,
      [EXPRESSION_HOST]: this.host,
    };
  }

  /** `github.workspace`: the checkout directory, `<workspace>/<repo>/<repo>` as on GitHub's runners. */
  workspace(): string {
    const repoName = this.id.repository.split('/').pop() ?? 'repo';
    return `${PATHS.workspace}/${repoName}/${repoName}`;
  }

  /**
   * Sets the env every step starts from: the runner's variables, then workflow/job env, the job container's env and
   * `extra` (the command line's `--env`), each evaluated once, in order, so a later one may use an earlier one.
   */
  startEnv(extra: Record<string, string> = {}): void {
    for (const [k, v] of this.baseEnv()) this.env.set(k, v);
    const { job } = this.id;
    for (const [k, v] of Object.entries({ ...job.env, ...job.containerEnv, ...extra }))
      this.env.set(k, this.expressions.interpolate(v, this.get()));
  }

  /** The whole env (job env plus GITHUB_ENV additions), as the `env` context holds it. */
  envEntries(): [string, string][] {
    return [...this.env];
  }

  /** Variables added by earlier steps through GITHUB_ENV: they travel in each later step's wrapper. */
  addedEnv(): [string, string][] {
    return [...this.added];
  }

  /** Directories added through GITHUB_PATH, the latest first. */
  pathEntries(): string[] {
    return this.path;
  }

  /** Records a step under its `id` in the `steps` context it belongs to (the job's or its composite action's). */
  recordStep(step: StepSpec, record: StepRecord): void {
    if (step.checkout && record.outcome === 'success') {
      const sub = step.checkout.path ? this.expressions.interpolate(step.checkout.path, this.get()) : '';
      this.checkouts.push(checkoutDestination(this.workspace(), sub));
    }
    if (step.id) this.stepsFor(step)[step.id] = record;
  }

  /** STATE_<name> of the action instance `state` (runner ActionRunner.cs: `STATE_{key}` from IntraActionState). */
  stateEnv(state: string | undefined): [string, string][] {
    return state ? [...(this.states.get(state) ?? [])].map(([k, v]) => [`STATE_${k}`, v]) : [];
  }

  /**
   * Applies a finished step's GITHUB_ENV, GITHUB_PATH and (for an action instance `state`) GITHUB_STATE; returns its
   * GITHUB_OUTPUT. Throws InvalidInput on junk.
   */
  applyFiles(files: StepFiles, state?: string): Record<string, string> {
    if (files.state && state) {
      let saved = this.states.get(state);
      if (!saved) this.states.set(state, (saved = new Map()));
      for (const [k, v] of parseKeyValueFile(files.state, 'GITHUB_STATE')) saved.set(k, v);
    }
    if (files.env) {
      for (const [k, v] of parseKeyValueFile(files.env, 'GITHUB_ENV')) {
        this.env.set(k, v);
        this.added.set(k, v);
      }
    }
    if (files.path) this.path = [...parsePathFile(files.path).reverse(), ...this.path];
    return files.output ? Object.fromEntries(parseKeyValueFile(files.output, 'GITHUB_OUTPUT')) : {};
  }

  /** After a composite action's steps: its outputs become `steps.<caller id>.outputs`. */
  endComposite(end: NonNullable<StepSpec['compositeEnd']>): void {
    const inner = this.scoped.get(end.scope) ?? {};
    const ctx = this.get({}, { id: end.scope, inputs: {}, ...(end.parent ? { parent: end.parent } : {}) });
    const outputs = Object.fromEntries(
      Object.entries(end.outputs).map(([k, v]) => [k, this.expressions.interpolate(v, ctx)]),
    );
    const results = Object.values(inner);
    const failed = results.some((r) => r.conclusion === 'failure');
    if (end.callerId) {
      const outcome = failed ? 'failure' : results.length ? 'success' : 'skipped';
      this.stepsFor({ name: '', ...(end.parent ? { scope: end.parent } : {}) })[end.callerId] = {
        outputs,
        outcome,
        conclusion: outcome,
      };
    }
  }

  /** Variables every step sees, from the runner (GitHub's names and values). */
  private baseEnv(): [string, string][] {
    const g = (this.get() as { github: Record<string, string> }).github;
    const { job, repository } = this.id;
    return [
      ['CI', 'true'],
      ['GITHUB_ACTIONS', 'true'],
      ['GITHUB_WORKFLOW', g.workflow ?? ''],
      ['GITHUB_JOB', job.id],
      ['GITHUB_RUN_ID', g.run_id ?? '1'],
      ['GITHUB_RUN_NUMBER', '1'],
      ['GITHUB_REPOSITORY', repository],
      ['GITHUB_SHA', g.sha ?? ''],
      ['GITHUB_REF', g.ref ?? ''],
      ['GITHUB_REF_NAME', g.ref_name ?? ''],
      ['GITHUB_REF_TYPE', g.ref_type ?? ''],
      ['GITHUB_HEAD_REF', g.head_ref ?? ''],
      ['GITHUB_BASE_REF', g.base_ref ?? ''],
      ['GITHUB_ACTOR', g.actor ?? ''],
      ['GITHUB_WORKSPACE', g.workspace ?? PATHS.workspace],
      ['GITHUB_EVENT_NAME', g.event_name ?? ''],
      ['GITHUB_EVENT_PATH', EVENT_PATH],
      ['RUNNER_OS', 'Linux'],
      ['RUNNER_ARCH', 'X64'],
      ['RUNNER_NAME', 'eci-virtual'],
      ['RUNNER_TEMP', PATHS.temp],
      ['HOME', `${PATHS.github}/home`],
    ];
  }

  /** A composite action's inputs, evaluated once with the caller's contexts when its first step runs. */
  private inputsOf(scope: StepScope): Record<string, string> {
    let inputs = this.scopeInputs.get(scope.id);
    if (!inputs) {
      const outer = this.get({}, scope.parent);
      inputs = Object.fromEntries(
        Object.entries(scope.inputs).map(([k, v]) => [k, this.expressions.interpolate(v, outer)]),
      );
      this.scopeInputs.set(scope.id, inputs);
    }
    return inputs;
  }

  private stepsFor(step: StepSpec): Record<string, StepRecord> {
    if (!step.scope) return this.steps;
    let map = this.scoped.get(step.scope.id);
    if (!map) this.scoped.set(step.scope.id, (map = {}));
    return map;
  }
}
