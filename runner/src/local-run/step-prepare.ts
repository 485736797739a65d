/**
 * What one step will execute, with its expressions evaluated against the job's contexts at the moment it starts: the
 * script (`run:`, or the command line of a `docker://` step), the variables its wrapper exports, and its working
 * directory. No I/O; throws when an expression cannot be evaluated, which fails the step before any exec.
 */
import { POD_FACTS_ENV } from '@eci-virtual/contract';
import type { JobContexts } from './job-contexts.js';
import type { ExpressionEngine, JobSpec, StepSpec } from './job-spec.js';

export interface PreparedStep {
  script: string;
  /** GITHUB_ENV additions of earlier steps, the pod facts, GITHUB_ACTION_PATH, STATE_*, then the step's own `env:`. */
  env: [string, string][];
  workingDirectory: string;
}

export function prepareStep(
  step: StepSpec,
  contexts: JobContexts,
  expressions: ExpressionEngine,
  defaults: JobSpec['defaults'],
  /** The pod facts JSON, as $ECI_VIRTUAL_POD_FACTS (pod-facts.ts). */
  facts: string | undefined,
): PreparedStep {
  const stepCtx = contexts.get({}, step.scope);
  const stepEnv = Object.entries(step.env ?? {}).map(
    ([k, v]) => [k, expressions.interpolate(v, stepCtx)] as [string, string],
  );
  const actionPath = (stepCtx as { github: { action_path?: string } }).github.action_path;
  const env: [string, string][] = [
    ...contexts.addedEnv(),
    ...(facts ? [[POD_FACTS_ENV, facts] as [string, string]] : []),
    ...(actionPath ? [['GITHUB_ACTION_PATH', actionPath] as [string, string]] : []),
    ...contexts.stateEnv(step.state),
    ...stepEnv,
  ];
  const withEnv = contexts.get(
    { env: { ...Object.fromEntries(contexts.envEntries()), ...Object.fromEntries(stepEnv) } },
    step.scope,
  );
  const interpolate = (text: string) => expressions.interpolate(text, withEnv);
  const script = step.container ? dockerStepScript(step.container, interpolate) : interpolate(step.run ?? '');
  const ws = contexts.workspace();
  const wd = step.workingDirectory ?? defaults.workingDirectory;
  const workingDirectory = wd ? (wd.startsWith('/') ? wd : `${ws}/${interpolate(wd)}`) : ws;
  return { script, env, workingDirectory };
}

/**
 * `uses: docker://image` steps run in their own container of the pod (its image is known up front). The container
 * idles like the job container, so the step runs `with.entrypoint` + `with.args`, or `with.args` as a shell command
 * line: the image's own ENTRYPOINT is not known to the runner.
 */
export function dockerStepScript(c: NonNullable<StepSpec['container']>, interpolate: (t: string) => string): string {
  const args = c.args ? interpolate(c.args) : '';
  return c.entrypoint ? `exec ${interpolate(c.entrypoint)} ${args}` : args;
}
