/**
 * run_container_step (`uses: docker://image` and Docker actions): the controller pre-created an idle `step-N`
 * container per `docker://` image of the workflow, served by the step agent; the step runs there, sharing the
 * workspace. The runner's bind mounts become symlinks onto the workspace, created by the agent — the image needs no
 * shell. Dockerfile-built actions cannot be pre-created (no daemon on a virtual node) and fail with a clear message.
 */
import { InvalidInput, isStepContainer, NotFound, servesAgent } from '@eci-virtual/contract';
import type { Symlink } from '../step-transport/agent/protocol.js';
import type { HookContext } from './hook-context.js';
import { runHookStep } from './hook-step.js';
import { stringRecord, type ContainerArgs, type HookState, type Mount } from './protocol.js';
import { runnerArgv } from './runner-arguments.js';
import { RUNNER_PROCESS_ENV } from './run-script-step.js';

export async function runContainerStep(ctx: HookContext, _state: HookState, args: ContainerArgs): Promise<number> {
  if (args.dockerfile)
    throw new InvalidInput(
      `Docker actions built from a Dockerfile (${args.dockerfile}) are not supported on virtual nodes`,
      {
        hint: 'publish the action image and use `uses: docker://<image>`',
      },
    );
  if (!args.image) throw new InvalidInput('run_container_step: args.image is required');
  const pod = await (await ctx.kube()).core.readNamespacedPod(ctx.pod);
  const c = pod.spec?.containers.find((x) => isStepContainer(x.name) && x.image === args.image);
  if (!c)
    throw new NotFound(`no step container with image ${args.image} in pod ${ctx.pod.name}`, {
      hint: 'the controller pre-creates containers for the docker:// images it finds in the workflow',
    });
  const argv = [...(args.entryPoint ? [args.entryPoint] : []), ...runnerArgv(args.entryPointArgs ?? [])];
  if (!argv.length)
    throw new InvalidInput(`run_container_step: no entry point for ${args.image} (set entrypoint/args in the step)`);
  return runHookStep(
    ctx,
    { container: c.name, agent: servesAgent(c) },
    {
      argv,
      env: {
        ...RUNNER_PROCESS_ENV,
        ...stringRecord(args.environmentVariables, 'run_container_step: args.environmentVariables'),
      },
      prependPath: [],
      workingDir: args.workingDirectory ?? '/__w',
      symlinks: mountLinks([...(args.systemMountVolumes ?? []), ...(args.userMountVolumes ?? [])], ctx.workDir),
    },
  );
}

/**
 * The runner asks for bind mounts of folders under its work directory (e.g. `_work/repo/repo` → /github/workspace).
 * In our pod that directory IS the shared emptyDir at /__w, so each mount becomes a symlink to the same data; mounts
 * onto /__w itself are already there, and other sources (the runner's externals) are not on the workspace.
 */
export function mountLinks(mounts: Mount[], workDir: string): Symlink[] {
  const links: Symlink[] = [];
  for (const m of mounts) {
    const src = m.sourceVolumePath;
    if (!src || !(src === workDir || src.startsWith(`${workDir}/`))) continue;
    if (m.targetVolumePath === '/__w' || m.targetVolumePath.startsWith('/__w/')) continue;
    links.push({ path: m.targetVolumePath, target: `/__w${src.slice(workDir.length)}` });
  }
  return links;
}
