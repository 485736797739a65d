/**
 * run_script_step: the runner wrote the script to the shared workspace; run its entry point in the job container —
 * argv as the runner's own process start would split it (runner-arguments.ts), the runner's env on top of the job
 * container's evaluated env (HookState.jobEnv, as `docker exec -e` on a container made with `docker create -e`) plus
 * $ECI_VIRTUAL_POD_FACTS, prependPath (newest first) in front of the container's PATH, in the working directory.
 * GITHUB_ACTIONS=true and CI=true (unless the step sets CI): the runner does not send them in the step's env — its
 * ProcessInvoker adds them to every process it starts, and in a job container Docker mode puts them on the container
 * (actions/runner src/Runner.Sdk/ProcessInvoker.cs, src/Runner.Worker/Container/DockerCommandManager.cs) — so with
 * hooks the hook must (the Kubernetes hooks put them on the job pod's containers too).
 */
import { InvalidInput, POD_FACTS_ENV } from '@eci-virtual/contract';
import type { HookContext } from './hook-context.js';
import { runHookStep, type HookStep } from './hook-step.js';
import type { HookState, ScriptStepArgs } from './protocol.js';
import { runnerArgv } from './runner-arguments.js';

/** What every process the runner starts gets (ProcessInvoker.cs); the step's own env may override CI. */
export const RUNNER_PROCESS_ENV = { GITHUB_ACTIONS: 'true', CI: 'true' } as const;

export function scriptStep(state: HookState, args: ScriptStepArgs): HookStep {
  return {
    argv: [args.entryPoint, ...runnerArgv(args.entryPointArgs)],
    env: {
      ...RUNNER_PROCESS_ENV,
      ...state.jobEnv,
      ...(state.facts ? { [POD_FACTS_ENV]: state.facts } : {}),
      ...(args.environmentVariables ?? {}),
    },
    prependPath: args.prependPath ?? [],
    workingDir: args.workingDirectory,
  };
}

export async function runScriptStep(ctx: HookContext, state: HookState, args: ScriptStepArgs): Promise<number> {
  if (!state.jobContainer)
    throw new InvalidInput('run_script_step without a job container (the runner runs such steps itself)');
  const agent = state.agents?.includes(state.jobContainer) ?? false;
  return runHookStep(ctx, { container: state.jobContainer, agent }, scriptStep(state, args));
}
