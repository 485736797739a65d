/**
 * Turns a workflow file into the scheduler's input: jobs in `needs` order, matrix legs expanded, actions expanded
 * (composite inlined with their own steps/inputs scope, nested ones too; JavaScript as node <main> with its pre and
 * post; docker:// ones as step containers; `./path` from the working tree, `owner/repo@ref` from the action cache,
 * workflow/local-action.ts), `docker://` steps mapped to step containers, and everything eci-virtual cannot run
 * reported before any pod is created.
 */
import { posix } from 'node:path';
import { InvalidInput } from '@eci-virtual/contract';
import { condition, evaluate, interpolate } from '../workflow/expr/evaluate.js';
import {
  actionLocation,
  inputEnvName,
  loadLocalAction,
  withInputsInlined,
  type LocalAction,
  type RemoteLookup,
} from '../workflow/local-action.js';
import { workingTreeFiles } from './checkout.js';
import { loadWorkflow } from '../workflow/load.js';
import { displayName, expandMatrix } from '../workflow/matrix.js';
import type { WorkflowJob, WorkflowStep } from '../workflow/model.js';
import { podNeeds } from '../workflow/pod-needs.js';
import type { ExpressionEngine, JobSpec, StepScope, StepSpec } from './job-spec.js';
import { NODE_RUNTIME_BIN } from './node-runtime.js';
import type { PlannedJob } from './scheduler.js';

export interface LoadedJobs {
  jobs: PlannedJob[];
  warnings: string[];
  expressions: ExpressionEngine;
}

export const expressionEngine: ExpressionEngine = {
  interpolate: (text, contexts) => interpolate(text, { contexts, status: 'success' }),
  condition: (ifText, contexts, status) => condition(ifText, { contexts, status }),
};

/** A step's default name: its first line, cut at 60 characters but never inside a `${{ }}` (names are evaluated). */
export function shortRun(run: string): string {
  const line = run.split('\n')[0]!;
  let cut = Math.min(line.length, 60);
  const open = line.lastIndexOf('${{', cut - 1);
  if (open >= 0 && line.lastIndexOf('}}', cut - 1) < open) {
    const close = line.indexOf('}}', open);
    cut = close < 0 ? open : close + 2;
  }
  return line.slice(0, cut);
}

interface StepsOptions {
  workspaceRoot: string;
  /** Remote actions resolved so far (the CLI resolves the rest: RemoteActionMissing). */
  remote: RemoteLookup;
  warnings: string[];
  /** The files checkout uploads (relative paths), computed once when first needed. */
  uploaded: () => Set<string>;
}

/** Composite actions nest at most this deep (runner: Constants.CompositeActionsMaxDepth, ActionManager.cs). */
export const COMPOSITE_MAX_DEPTH = 9;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A JavaScript action's script (main, pre or post) run with node, as the runner's NodeScriptActionHandler does with
 * `externals/<nodeN>/bin/node` (mounted at /__e in job containers, ContainerInfo.cs): the pod's Node.js runtime at
 * PATHS.externals when it has one (the agent image's, node-runtime.ts), else the job image's `node`.
 */
export function nodeScript(uses: string, using: string, script: string): string {
  const missing =
    `::error::${uses} is a JavaScript action (${using}): the pod has no Node.js runtime and the job container ` +
    'no node; pass --agent-image (yarn engine up builds one carrying node) or set container: to an image with Node.js';
  return [
    `if [ -x ${NODE_RUNTIME_BIN} ]; then ECI_NODE=${NODE_RUNTIME_BIN}`,
    `elif command -v node >/dev/null 2>&1; then ECI_NODE=node`,
    `else echo ${shellQuote(missing)}; exit 127; fi`,
    `exec "$ECI_NODE" "$GITHUB_ACTION_PATH"/${shellQuote(posix.normalize(script))}`,
  ].join('\n');
}

/**
 * A JavaScript action step: inputs as INPUT_* and GITHUB_ACTION_PATH, as the runner's handler sets them; `podDir` is
 * the action's directory in the pod (an expression of the workspace for `./path` actions).
 */
function nodeActionStep(
  base: StepSpec,
  uses: string,
  podDir: string,
  action: Extract<LocalAction, { kind: 'node' }>,
  script: string,
  inputs: Record<string, string>,
): StepSpec {
  return {
    ...base,
    shell: 'sh',
    run: nodeScript(uses, action.using, script),
    env: {
      ...base.env,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v])),
      GITHUB_ACTION_PATH: podDir,
    },
  };
}

/**
 * A `docker://` action: a step container of the pod running `entrypoint` (runs.entrypoint, or pre-/post-entrypoint)
 * with `runs.args`, each argument passed through a variable so no value needs shell quoting; `inputs.*` in args and
 * `runs.env` become the caller's `with:`.
 */
function dockerActionStep(
  base: StepSpec,
  action: Extract<LocalAction, { kind: 'docker' }>,
  entrypoint: string,
  inputs: Record<string, string>,
  podDir: string,
): StepSpec {
  const args = action.args.map((a, n) => [`ECI_ACTION_ARG_${n}`, withInputsInlined(a, inputs)] as const);
  return {
    ...base,
    container: {
      image: action.image,
      entrypoint: shellQuote(entrypoint),
      ...(args.length ? { args: args.map(([k]) => `"$${k}"`).join(' ') } : {}),
    },
    env: {
      ...base.env,
      ...Object.fromEntries(Object.entries(action.env).map(([k, v]) => [k, withInputsInlined(v, inputs)])),
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v])),
      ...Object.fromEntries(args),
      GITHUB_ACTION_PATH: podDir,
    },
  };
}

/** A `uses: docker://image` step, refused without with.entrypoint/args (the container idles, see below). */
function dockerUsesStep(base: StepSpec, uses: string, w: Record<string, string> | undefined, where: string): StepSpec {
  if (!w?.entrypoint && !w?.args)
    throw new InvalidInput(
      `${where}: ${uses} needs with.entrypoint and/or with.args: the step runs in an idle container of the ` +
        "job pod, so the image's own ENTRYPOINT/CMD is not started",
    );
  return {
    ...base,
    container: {
      image: uses.slice('docker://'.length),
      ...(w.entrypoint ? { entrypoint: w.entrypoint } : {}),
      ...(w.args ? { args: w.args } : {}),
    },
  };
}

/** Collects one job's steps and the remote action repositories they need. */
class StepExpander {
  readonly out: StepSpec[] = [];
  readonly actions = new Map<string, string>();
  usesNode = false;

  constructor(private readonly opts: StepsOptions) {}

  /**
   * Expands `uses:` (not checkout, not docker://) into steps: JavaScript and docker actions become one step each
   * (with their pre/post), composite actions their steps — nested actions included — and an end that maps outputs.
   * `instance` names the action's use uniquely in the job (state, composite scope).
   */
  action(
    base: StepSpec,
    uses: string,
    w: Record<string, string> | undefined,
    instance: string,
    where: string,
    depth: number,
  ): void {
    const { opts } = this;
    if (depth > COMPOSITE_MAX_DEPTH)
      throw new InvalidInput(`${where}: ${uses}: composite actions nest deeper than ${COMPOSITE_MAX_DEPTH} levels`);
    const loc = actionLocation(uses, opts.remote, where);
    if (loc.remote) this.actions.set(loc.remote.key, loc.remote.dir);
    const action = loadLocalAction(opts.workspaceRoot, loc.local, uses, where);
    const inputs: Record<string, string> = {};
    for (const [k, def] of Object.entries(action.inputs)) {
      const given = w?.[k];
      if (given === undefined && def.required && def.default === undefined)
        throw new InvalidInput(`${where}: ${uses} requires input "${k}"`);
      inputs[k] = given ?? def.default ?? '';
    }
    for (const k of Object.keys(w ?? {}))
      if (!(k in action.inputs)) throw new InvalidInput(`${where}: ${uses} has no input "${k}"`);
    const podDir = loc.remote ? loc.pod : `\${{ github.workspace }}/${loc.pod}`;
    if (action.kind === 'composite') return this.composite(base, uses, action, inputs, instance, loc.pod, where, depth);
    if (
      action.kind === 'node' &&
      !loc.remote &&
      !opts.uploaded().has(posix.join(loc.pod, posix.normalize(action.main)))
    )
      throw new InvalidInput(
        `${where}: ${uses}: ${posix.join(loc.pod, action.main)} is not in the working tree checkout uploads (git-ignored?)`,
        { hint: 'the action runs from the job workspace: keep it tracked, or at least not ignored, by git' },
      );
    if (action.kind === 'node') this.usesNode = true;
    const make = (b: StepSpec, script: string) =>
      action.kind === 'node'
        ? nodeActionStep(b, uses, podDir, action, script, inputs)
        : dockerActionStep(b, action, script, inputs, podDir);
    const main: StepSpec = { ...make(base, action.kind === 'node' ? action.main : action.entrypoint), state: instance };
    // Pre and post: no id, no continue-on-error of the caller; their own conditions (pre-if / post-if).
    const hook = (prefix: 'Pre' | 'Post', script: string, cond: string | undefined): StepSpec => ({
      ...make(
        {
          name: `${prefix} ${base.name}`,
          if: cond ?? 'always()',
          ...(base.env ? { env: base.env } : {}),
          ...(base.scope ? { scope: base.scope } : {}),
        },
        script,
      ),
      state: instance,
    });
    if (action.pre) {
      // The runner runs no pre of an action from the workflow's own repository (ActionRunner.cs warns instead).
      if (!loc.remote) opts.warnings.push(`${where}: \`pre\` execution is not supported for local action '${uses}'`);
      else main.pre = hook('Pre', action.pre, action.preIf);
    }
    if (action.post) main.post = hook('Post', action.post, action.postIf);
    this.out.push(main);
  }

  private composite(
    base: StepSpec,
    uses: string,
    action: Extract<LocalAction, { kind: 'composite' }>,
    inputs: Record<string, string>,
    instance: string,
    actionPath: string,
    where: string,
    depth: number,
  ): void {
    const scope: StepScope = { id: instance, inputs, actionPath, ...(base.scope ? { parent: base.scope } : {}) };
    action.steps.forEach((inner, j) => {
      const innerBase: StepSpec = {
        name: action.steps.length === 1 ? base.name : `${base.name} › ${inner.name ?? inner.id ?? `step ${j + 1}`}`,
        ...(inner.id ? { id: inner.id } : {}),
        ...(inner.if ? { if: inner.if } : base.if ? { if: base.if } : {}),
        ...(inner.env ? { env: inner.env } : {}),
        ...(inner.workingDirectory ? { workingDirectory: inner.workingDirectory } : {}),
        ...(inner.continueOnError ? { continueOnError: inner.continueOnError } : {}),
        scope,
      };
      const innerWhere = `${where} (${uses} step ${j + 1})`;
      if (inner.run !== undefined) return this.out.push({ ...innerBase, run: inner.run, shell: inner.shell! });
      const u = inner.uses!;
      if (u.startsWith('docker://')) return this.out.push(dockerUsesStep(innerBase, u, inner.with, innerWhere));
      if (/^actions\/checkout@/.test(u))
        return this.out.push({ ...innerBase, checkout: inner.with?.path ? { path: inner.with.path } : {} });
      this.action(innerBase, u, inner.with, `${instance}.${j}`, innerWhere, depth + 1);
    });
    this.out.push({
      name: base.name,
      compositeEnd: {
        scope: instance,
        outputs: action.outputs,
        ...(base.id ? { callerId: base.id } : {}),
        ...(base.scope ? { parent: base.scope } : {}),
      },
      ...(base.if ? { if: base.if } : {}),
    });
  }
}

function steps(
  job: WorkflowJob,
  file: string,
  opts: StepsOptions,
): { steps: StepSpec[]; actions: JobSpec['actions']; usesNode: boolean } {
  const x = new StepExpander(opts);
  job.steps.forEach((s: WorkflowStep, i) => {
    const where = `${file}:${s.line}`;
    const base: StepSpec = {
      name: s.name ?? (s.run ? `Run ${shortRun(s.run)}` : `Run ${s.uses}`),
      ...(s.id ? { id: s.id } : {}),
      ...(s.if ? { if: s.if } : {}),
      ...(s.shell ? { shell: s.shell } : {}),
      ...(s.env ? { env: s.env } : {}),
      ...(s.workingDirectory ? { workingDirectory: s.workingDirectory } : {}),
      ...(s.continueOnError !== undefined ? { continueOnError: s.continueOnError } : {}),
      ...(s.timeoutMinutes ? { timeoutMinutes: s.timeoutMinutes } : {}),
    };
    if (s.run !== undefined) return x.out.push({ ...base, run: s.run });
    const uses = s.uses!;
    if (uses.startsWith('docker://')) return x.out.push(dockerUsesStep(base, uses, s.with, where));
    if (/^actions\/checkout@/.test(uses)) {
      const path = s.with?.path;
      return x.out.push({ ...base, checkout: path ? { path } : {} });
    }
    x.action(base, uses, s.with, `${job.id}-${i}`, where, 0);
  });
  return { steps: x.out, actions: [...x.actions].map(([key, dir]) => ({ key, dir })), usesNode: x.usesNode };
}

export function loadWorkflowJobs(
  file: string,
  opts: {
    workspaceRoot: string;
    job?: string;
    matrix?: Record<string, string>;
    /** Remote actions resolved so far (action-cache.ts); none by default. */
    remote?: RemoteLookup;
  },
): LoadedJobs {
  const wf = loadWorkflow(file, opts.workspaceRoot);
  const warnings = [...wf.warnings];
  let uploaded: Set<string> | undefined;
  const stepsOptions: StepsOptions = {
    workspaceRoot: opts.workspaceRoot,
    remote: opts.remote ?? (() => undefined),
    warnings,
    uploaded: () => (uploaded ??= new Set(workingTreeFiles(opts.workspaceRoot))),
  };
  let jobs = wf.jobs;
  if (opts.job) {
    const wanted = jobs.find((j) => j.id === opts.job);
    if (!wanted)
      throw new InvalidInput(`job "${opts.job}" is not in ${wf.file} (jobs: ${jobs.map((j) => j.id).join(', ')})`);
    jobs = [wanted];
  }
  const out: LoadedJobs['jobs'] = [];
  for (const job of jobs) {
    const { steps: jobSteps, actions, usesNode } = steps(job, wf.file, stepsOptions);
    // Images stay as written: the job runner evaluates them with the job's contexts when it builds the pod.
    const needs = podNeeds(job, (raw) => raw);
    const baseContexts = { github: {}, inputs: {}, vars: {}, needs: {}, env: {} };
    const matrix = job.matrix === undefined ? undefined : resolveMatrix(job.matrix, baseContexts);
    const legs = expandMatrix(matrix).filter((c) =>
      Object.entries(opts.matrix ?? {}).every(([k, v]) => String(c[k]) === v),
    );
    if (!legs.length)
      throw new InvalidInput(`no matrix combination of job ${job.id} matches ${JSON.stringify(opts.matrix)}`);
    legs.forEach((combo, index) => {
      const ctx = { ...baseContexts, matrix: combo, strategy: { 'job-index': index, 'job-total': legs.length } };
      out.push({
        // --job runs one job alone: its needs are not run, so it does not wait for them.
        needs: opts.job ? [] : job.needs,
        failFast: job.failFast,
        ...(job.maxParallel !== undefined ? { maxParallel: job.maxParallel } : {}),
        spec: {
          id: job.id,
          name: job.name
            ? interpolate(job.name, { contexts: ctx, status: 'success' })
            : displayName(job.id, job.matrix === undefined ? {} : combo),
          workflow: wf.name,
          ...(needs.container ? { image: needs.container.image, containerEnv: needs.container.env } : {}),
          services: needs.services,
          buildsImages: needs.buildsImages,
          env: { ...wf.env, ...job.env },
          defaults: { ...wf.defaults, ...job.defaults },
          steps: jobSteps,
          ...(actions?.length ? { actions } : {}),
          ...(usesNode ? { usesNode } : {}),
          ...(job.timeoutMinutes ? { timeoutMinutes: job.timeoutMinutes } : {}),
          matrix: combo,
          strategy: { 'job-index': index, 'job-total': legs.length },
          ...(job.if ? { if: job.if } : {}),
          ...(Object.keys(job.outputs).length ? { outputs: job.outputs } : {}),
        },
      });
    });
  }
  return { jobs: out, warnings, expressions: expressionEngine };
}

/** `matrix: ${{ fromJSON(...) }}` or axis values given as expressions are evaluated before expansion. */
function resolveMatrix(matrix: unknown, contexts: Record<string, unknown>): unknown {
  const state = { contexts, status: 'success' as const };
  const resolve = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(v.trim());
      return whole ? evaluate(whole[1]!.trim(), state) : v;
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    return v;
  };
  return resolve(matrix);
}
