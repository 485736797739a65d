/**
 * run_container_step (`uses: docker://image` and Docker actions): the controller pre-created an idle `step-N`
 * container per `docker://` image of the workflow; the step runs there, sharing the workspace. Dockerfile-built
 * actions cannot be pre-created (no daemon on a virtual node) and fail with a clear message.
 */
import { InvalidInput, isStepContainer, NotFound, shellQuote } from '@eci-virtual/contract';
import { execStep } from './exec-step.js';
import { runnerArgv } from './runner-arguments.js';
import type { HookContext } from './hook-context.js';
import { stringRecord, type ContainerArgs, type HookState, type Mount } from './protocol.js';
import { stepWrapper } from './step-wrapper.js';

export async function runContainerStep(ctx: HookContext, _state: HookState, args: ContainerArgs): Promise<number> {
  if (args.dockerfile)
    throw new InvalidInput(
      `Docker actions built from a Dockerfile (${args.dockerfile}) are not supported on virtual nodes`,
      {
        hint: 'publish the action image and use `uses: docker://<image>`',
      },
    );
  if (!args.image) throw new InvalidInput('run_container_step: args.image is required');
  const pod = await ctx.kube.core.readNamespacedPod(ctx.pod);
  const c = pod.spec?.containers.find((x) => isStepContainer(x.name) && x.image === args.image);
  if (!c)
    throw new NotFound(`no step container with image ${args.image} in pod ${ctx.pod.name}`, {
      hint: 'the controller pre-creates containers for the docker:// images it finds in the workflow',
    });
  const entry = args.entryPoint ? [args.entryPoint] : [];
  const [first, ...rest] = [...entry, ...runnerArgv(args.entryPointArgs ?? [])];
  if (!first)
    throw new InvalidInput(`run_container_step: no entry point for ${args.image} (set entrypoint/args in the step)`);
  return execStep(
    ctx,
    c.name,
    stepWrapper({
      entryPoint: first,
      entryPointArgs: rest,
      env: stringRecord(args.environmentVariables, 'run_container_step: args.environmentVariables'),
      prependPath: [],
      workingDirectory: args.workingDirectory ?? '/__w',
      prelude: mountLinks([...(args.systemMountVolumes ?? []), ...(args.userMountVolumes ?? [])]),
    }),
  );
}

/**
 * The runner asks for bind mounts of folders under its work directory (e.g. `_work/repo/repo` → /github/workspace).
 * In our pod that directory IS the shared emptyDir at /__w, so each mount becomes a symlink to the same data.
 */
export function mountLinks(
  mounts: Mount[],
  workDir = process.env.ECI_VIRTUAL_RUNNER_WORKDIR ?? '/home/runner/_work',
): string[] {
  const lines: string[] = [];
  for (const m of mounts) {
    const src = m.sourceVolumePath;
    if (!src || !(src === workDir || src.startsWith(`${workDir}/`))) continue;
    if (m.targetVolumePath === '/__w' || m.targetVolumePath.startsWith('/__w/')) continue;
    const target = shellQuote(m.targetVolumePath);
    lines.push(
      `mkdir -p "$(dirname ${target})" ${shellQuote(`/__w${src.slice(workDir.length)}`)}`,
      `ln -sfn ${shellQuote(`/__w${src.slice(workDir.length)}`)} ${target}`,
    );
  }
  return lines;
}
