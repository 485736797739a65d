/**
 * Turns a workflow file into the scheduler's input: jobs in `needs` order, matrix legs expanded, local actions
 * (composite inlined with their own steps/inputs scope, JavaScript as `node <main>`, docker:// ones as step
 * containers; remote ones from --action-cache, workflow/local-action.ts), `docker://` steps mapped to step
 * containers, and everything eci-virtual cannot run reported before any pod is created.
 */
import { posix } from 'node:path';
import { InvalidInput } from '@eci-virtual/contract';
import { condition, evaluate, interpolate } from '../workflow/expr/evaluate.js';
import {
  actionDirectory,
  inputEnvName,
  loadLocalAction,
  withInputsInlined,
  type LocalAction,
} from '../workflow/local-action.js';
import { workingTreeFiles } from './checkout.js';
import { loadWorkflow } from '../workflow/load.js';
import { displayName, expandMatrix } from '../workflow/matrix.js';
import type { WorkflowJob, WorkflowStep } from '../workflow/model.js';
import { podNeeds } from '../workflow/pod-needs.js';
import type { ExpressionEngine, StepSpec } from './job-spec.js';
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
  actionCache: string | undefined;
  warnings: string[];
  /** The files checkout uploads (relative paths), computed once when first needed. */
  uploaded: () => Set<string>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A JavaScript action: `node <main>` in the job container with the Node.js of its image (the runner would bring its
 * own in externals; a job pod has none), inputs as INPUT_* and GITHUB_ACTION_PATH, as the runner's handler sets them.
 */
function nodeActionStep(
  base: StepSpec,
  uses: string,
  dir: string,
  action: Extract<LocalAction, { kind: 'node' }>,
  inputs: Record<string, string>,
): StepSpec {
  const missing = `::error::${uses} is a JavaScript action (${action.using}): the job container has no node; set container: to an image with Node.js`;
  return {
    ...base,
    shell: 'sh',
    run:
      `command -v node >/dev/null 2>&1 || { echo ${shellQuote(missing)}; exit 127; }\n` +
      `exec node "$GITHUB_ACTION_PATH"/${shellQuote(posix.normalize(action.main))}`,
    env: {
      ...base.env,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v])),
      GITHUB_ACTION_PATH: `\${{ github.workspace }}/${dir}`,
    },
  };
}

/**
 * A `docker://` action: a step container of the pod running `runs.entrypoint` with `runs.args`, each argument passed
 * through a variable so no value needs shell quoting; `inputs.*` in args and `runs.env` become the caller's `with:`.
 */
function dockerActionStep(
  base: StepSpec,
  action: Extract<LocalAction, { kind: 'docker' }>,
  inputs: Record<string, string>,
): StepSpec {
  const args = action.args.map((a, n) => [`ECI_ACTION_ARG_${n}`, withInputsInlined(a, inputs)] as const);
  return {
    ...base,
    container: {
      image: action.image,
      entrypoint: shellQuote(action.entrypoint),
      ...(args.length ? { args: args.map(([k]) => `"$${k}"`).join(' ') } : {}),
    },
    env: {
      ...base.env,
      ...Object.fromEntries(Object.entries(action.env).map(([k, v]) => [k, withInputsInlined(v, inputs)])),
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v])),
      ...Object.fromEntries(args),
    },
  };
}

function steps(job: WorkflowJob, file: string, opts: StepsOptions): StepSpec[] {
  const out: StepSpec[] = [];
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
    if (s.run !== undefined) return out.push({ ...base, run: s.run });
    const uses = s.uses!;
    if (uses.startsWith('docker://')) {
      if (!s.with?.entrypoint && !s.with?.args)
        throw new InvalidInput(
          `${where}: ${uses} needs with.entrypoint and/or with.args: the step runs in an idle container of the ` +
            "job pod, so the image's own ENTRYPOINT/CMD is not started",
        );
      return out.push({
        ...base,
        container: {
          image: uses.slice('docker://'.length),
          ...(s.with?.entrypoint ? { entrypoint: s.with.entrypoint } : {}),
          ...(s.with?.args ? { args: s.with.args } : {}),
        },
      });
    }
    if (/^actions\/checkout@/.test(uses)) {
      const path = s.with?.path;
      return out.push({ ...base, checkout: path ? { path } : {} });
    }
    const dir = actionDirectory(uses, opts.workspaceRoot, opts.actionCache, where);
    const action = loadLocalAction(opts.workspaceRoot, dir, uses, where);
    const inputs: Record<string, string> = {};
    for (const [k, def] of Object.entries(action.inputs)) {
      const given = s.with?.[k];
      if (given === undefined && def.required && def.default === undefined)
        throw new InvalidInput(`${where}: ${uses} requires input "${k}"`);
      inputs[k] = given ?? def.default ?? '';
    }
    for (const k of Object.keys(s.with ?? {}))
      if (!(k in action.inputs)) throw new InvalidInput(`${where}: ${uses} has no input "${k}"`);
    if (action.kind !== 'composite' && (action.pre || action.post))
      opts.warnings.push(
        `${where}: ${uses}: its pre/post scripts (${[action.pre, action.post].filter(Boolean).join(', ')}) are not run by eci-virtual run`,
      );
    if (action.kind === 'node') {
      if (!opts.uploaded().has(posix.join(dir, posix.normalize(action.main))))
        throw new InvalidInput(
          `${where}: ${uses}: ${posix.join(dir, action.main)} is not in the working tree checkout uploads (git-ignored?)`,
          { hint: 'the action runs from the job workspace: keep it tracked, or at least not ignored, by git' },
        );
      return out.push(nodeActionStep(base, uses, dir, action, inputs));
    }
    if (action.kind === 'docker') return out.push(dockerActionStep(base, action, inputs));
    const scope = `${job.id}-${i}`;
    for (const inner of action.steps) {
      out.push({
        ...inner,
        name:
          action.steps.length === 1
            ? base.name
            : `${base.name} › ${inner.name ?? inner.id ?? `step ${action.steps.indexOf(inner) + 1}`}`,
        scope: { id: scope, inputs, actionPath: dir },
        // The caller's if: applies to every step of the action that has none of its own.
        ...(base.if && !inner.if ? { if: base.if } : {}),
      });
    }
    out.push({
      name: base.name,
      compositeEnd: { scope, outputs: action.outputs, ...(s.id ? { callerId: s.id } : {}) },
      ...(base.if ? { if: base.if } : {}),
    });
  });
  return out;
}

export function loadWorkflowJobs(
  file: string,
  opts: {
    workspaceRoot: string;
    job?: string;
    matrix?: Record<string, string>;
    /** `--action-cache`: where `owner/repo@ref` actions are vendored, relative to the working tree. */
    actionCache?: string;
  },
): LoadedJobs {
  const wf = loadWorkflow(file, opts.workspaceRoot);
  const warnings = [...wf.warnings];
  let uploaded: Set<string> | undefined;
  const stepsOptions: StepsOptions = {
    workspaceRoot: opts.workspaceRoot,
    actionCache: opts.actionCache,
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
    const jobSteps = steps(job, wf.file, stepsOptions);
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
