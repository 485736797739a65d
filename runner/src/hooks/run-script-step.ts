/**
 * run_script_step: the runner wrote the script to the shared workspace; run its entry point in the job container —
 * argv as the runner's own process start would split it (runner-arguments.ts), the runner's env on top of the job
 * container's evaluated env (HookState.jobEnv, as `docker exec -e` on a container made with `docker create -e`) plus
 * $ECI_VIRTUAL_POD_FACTS, prependPath (newest first) in front of the container's PATH, in the working directory.
 */
import { InvalidInput, POD_FACTS_ENV } from '@eci-virtual/contract';
import type { HookContext } from './hook-context.js';
import { runHookStep, type HookStep } from './hook-step.js';
import type { HookState, ScriptStepArgs } from './protocol.js';
import { runnerArgv } from './runner-arguments.js';

export function scriptStep(state: HookState, args: ScriptStepArgs): HookStep {
  return {
    argv: [args.entryPoint, ...runnerArgv(args.entryPointArgs)],
    env: {
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
