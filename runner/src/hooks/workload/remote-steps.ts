/**
 * run_script_step, run_container_step and cleanup_job for a job prepared in a workload pod (prepare-remote.ts):
 * the work folder goes to W before the step and the file commands and workspace come back after it (sync.ts); the
 * step itself runs through W's agent exactly as through a local one (agent-step.ts, over TCP).
 */
import { InvalidInput, isStepContainer, NotFound, PATHS } from '@eci-virtual/contract';
import type { HookContext } from '../hook-context.js';
import { runHookStep, type HookStep } from '../hook-step.js';
import { stringRecord, type ContainerArgs, type HookState, type ScriptStepArgs } from '../protocol.js';
import { mountLinks } from '../run-container-step.js';
import { scriptStep } from '../run-script-step.js';
import { runnerArgv } from '../runner-arguments.js';
import { loadConnection, remoteContext, saveConnection, type WorkloadConnection } from './connection.js';
import { controllerEndpoint, releaseWorkload } from './controller-client.js';
import { afterStep, beforeStep, workspaceOf } from './sync.js';

async function remoteStep(
  ctx: HookContext,
  container: string,
  step: HookStep,
  workspace: string | undefined,
): Promise<number> {
  let conn: WorkloadConnection = loadConnection(ctx.workDir);
  if (workspace && conn.workspace !== workspace) {
    conn = { ...conn, workspace };
    saveConnection(ctx.workDir, conn);
  }
  const rctx = remoteContext(ctx, conn);
  await beforeStep(rctx, conn, step.workingDir);
  const code = await runHookStep(rctx, { container, agent: true }, step);
  // The runner reads the file commands even after a failed step (and the workspace for hashFiles() and friends).
  await afterStep(rctx, conn);
  return code;
}

export async function runRemoteScriptStep(ctx: HookContext, state: HookState, args: ScriptStepArgs): Promise<number> {
  if (!state.jobContainer)
    throw new InvalidInput('run_script_step without a job container (the runner runs such steps itself)');
  const env = args.environmentVariables ?? {};
  return remoteStep(ctx, state.jobContainer, scriptStep(state, args), workspaceOf(env.GITHUB_WORKSPACE));
}

export async function runRemoteContainerStep(ctx: HookContext, args: ContainerArgs): Promise<number> {
  if (args.dockerfile || !args.image)
    throw new InvalidInput('run_container_step in a workload pod needs a published image (`uses: docker://…`)');
  const conn = loadConnection(ctx.workDir);
  const target = conn.agents.find((a) => isStepContainer(a.container) && a.image === args.image);
  if (!target)
    throw new NotFound(`no step container with image ${args.image} in workload pod ${conn.pod}`, {
      hint: 'the controller adds containers for the docker:// images it finds in the workflow',
    });
  const argv = [...(args.entryPoint ? [args.entryPoint] : []), ...runnerArgv(args.entryPointArgs ?? [])];
  if (!argv.length)
    throw new InvalidInput(`run_container_step: no entry point for ${args.image} (set entrypoint/args in the step)`);
  const mounts = [...(args.systemMountVolumes ?? []), ...(args.userMountVolumes ?? [])];
  const links = mountLinks(mounts, ctx.workDir);
  const ws = links.find((l) => l.path === '/github/workspace')?.target;
  return remoteStep(
    ctx,
    target.container,
    {
      argv,
      env: stringRecord(args.environmentVariables, 'run_container_step: args.environmentVariables'),
      prependPath: [],
      workingDir: args.workingDirectory ?? PATHS.workspace,
      symlinks: links,
    },
    workspaceOf(ws),
  );
}

/** cleanup_job: the controller deletes W and its Secrets now rather than with the runner pod. */
export async function cleanupRemote(ctx: HookContext): Promise<void> {
  const ep = controllerEndpoint();
  if (ep) await releaseWorkload(ep, ctx.pod.name);
}
