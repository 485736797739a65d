/**
 * Entry point of the container hooks bundle (ACTIONS_RUNNER_CONTAINER_HOOKS=<dir>/index.js). One JSON object on
 * stdin, one command, exit 0 on success; a step's own exit code is passed through; any other failure prints one
 * clear line on stderr and exits 1.
 */
import { describeError } from '@eci-virtual/contract';
import { hookContext } from './hook-context.js';
import { prepareJob } from './prepare-job.js';
import {
  parseContainerArgs,
  parseHookInput,
  parsePrepareJobArgs,
  parseScriptStepArgs,
  parseState,
} from './protocol.js';
import { runContainerStep } from './run-container-step.js';
import { runScriptStep } from './run-script-step.js';
import { cleanupRemote, runRemoteContainerStep, runRemoteScriptStep } from './workload/remote-steps.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function runHook(text: string): Promise<number> {
  const input = parseHookInput(text);
  // The controller deletes the pod and the job's identity; a workload pod is released at once.
  if (input.command === 'cleanup_job') {
    const state = input.state as { remote?: unknown } | undefined;
    if (state?.remote) await cleanupRemote(hookContext());
    return 0;
  }
  // Everything the runner sent is checked before anything is contacted: bad input is one clear InvalidInput.
  switch (input.command) {
    case 'prepare_job': {
      const args = parsePrepareJobArgs(input.args);
      await prepareJob(hookContext(), args, input.responseFile!);
      return 0;
    }
    case 'run_script_step': {
      const state = parseState(input.state);
      const args = parseScriptStepArgs(input.args);
      const ctx = hookContext();
      return state.remote ? runRemoteScriptStep(ctx, state, args) : runScriptStep(ctx, state, args);
    }
    case 'run_container_step': {
      const state = parseState(input.state);
      const args = parseContainerArgs(input.args, 'run_container_step: args');
      const ctx = hookContext();
      return state.remote ? runRemoteContainerStep(ctx, args) : runContainerStep(ctx, state, args);
    }
  }
}

if (process.env.ECI_VIRTUAL_HOOKS_NO_MAIN !== '1')
  readStdin()
    .then(runHook)
    .then(
      (code) => process.exit(code),
      (err: unknown) => {
        process.stderr.write(`eci-virtual hooks: ${describeError(err)}\n`);
        process.exit(1);
      },
    );
