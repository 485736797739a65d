/** run_script_step: the runner wrote the script to the shared workspace; run its entry point in the job container. */
import { InvalidInput, POD_FACTS_ENV } from '@eci-virtual/contract';
import { execStep } from './exec-step.js';
import type { HookContext } from './hook-context.js';
import type { HookState, ScriptStepArgs } from './protocol.js';
import { runnerArgv } from './runner-arguments.js';
import { stepWrapper } from './step-wrapper.js';

export async function runScriptStep(ctx: HookContext, state: HookState, args: ScriptStepArgs): Promise<number> {
  if (!state.jobContainer)
    throw new InvalidInput('run_script_step without a job container (the runner runs such steps itself)');
  return execStep(
    ctx,
    state.jobContainer,
    stepWrapper({
      entryPoint: args.entryPoint,
      entryPointArgs: runnerArgv(args.entryPointArgs),
      env: { ...(state.facts ? { [POD_FACTS_ENV]: state.facts } : {}), ...(args.environmentVariables ?? {}) },
      prependPath: args.prependPath ?? [],
      workingDirectory: args.workingDirectory,
    }),
  );
}
