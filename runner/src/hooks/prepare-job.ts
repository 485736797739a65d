/**
 * prepare_job: the job and service containers already exist in this pod (the controller read the workflow up front),
 * so preparing is finding them — matched by image — linking the runner's `/github/*` folders inside the job
 * container, and telling the runner whether the job image is Alpine (it then uses its musl node).
 */
import { writeFileSync } from 'node:fs';
import { CONTAINER, isServiceContainer, NotFound } from '@eci-virtual/contract';
import { factsFromPod, timingsFromPod } from '../pod-assembly/pod-facts.js';
import type { HookContext } from './hook-context.js';
import type { ContainerArgs, HookState, PrepareJobArgs } from './protocol.js';

/** One exec: the runner's system mounts `_temp/_github_home` → /github/home etc. become links on the workspace. */
export const LINK_SCRIPT = String.raw`set -e
mkdir -p /__w/_temp/_github_home /__w/_temp/_github_workflow /github
ln -sfn /__w/_temp/_github_home /github/home
ln -sfn /__w/_temp/_github_workflow /github/workflow
if [ -e /etc/alpine-release ]; then echo alpine; else echo glibc; fi`;

const sameImage = (a: string | undefined, b: string | undefined) =>
  !!a &&
  !!b &&
  (a === b ||
    a === `docker.io/${b}` ||
    `docker.io/library/${b}` === a ||
    a.replace(/^docker\.io\/(library\/)?/, '') === b.replace(/^docker\.io\/(library\/)?/, ''));

export async function prepareJob(ctx: HookContext, args: PrepareJobArgs, responseFile: string): Promise<void> {
  const pod = await ctx.kube.core.readNamespacedPod(ctx.pod);
  const containers = pod.spec?.containers ?? [];
  const state: HookState = {
    pod: ctx.pod,
    services: [],
    facts: JSON.stringify(factsFromPod(pod, undefined, timingsFromPod(pod))),
  };
  let isAlpine = false;
  if (args.container?.image) {
    const job = containers.find((c) => c.name === CONTAINER.job);
    if (!job || !sameImage(job.image, args.container.image))
      throw new NotFound(
        `the job container image ${args.container.image} is not in pod ${ctx.pod.name} (it has ${job?.image ?? 'no job container'})`,
        {
          hint: 'the controller resolves `container:` from the workflow at head_sha; images built from expressions it cannot evaluate are not supported yet',
        },
      );
    state.jobContainer = CONTAINER.job;
    let out = '';
    const code = await ctx.exec.exec(ctx.pod, CONTAINER.job, ['/bin/sh', '-c', LINK_SCRIPT], {
      stdout: (c) => (out += c.toString()),
      stderr: (c) => ctx.out(c),
    });
    if (code !== 0) throw new NotFound(`preparing the job container failed with exit code ${code}`);
    isAlpine = out.trim() === 'alpine';
  }
  const used = new Set<string>();
  const services = (args.services ?? []).map((svc: ContainerArgs, i) => {
    const c = containers.find((x) => isServiceContainer(x.name) && !used.has(x.name) && sameImage(x.image, svc.image));
    if (!c) throw new NotFound(`service #${i + 1} (${svc.image ?? 'no image'}) is not in pod ${ctx.pod.name}`);
    used.add(c.name);
    state.services.push(c.name);
    // Services share the pod's network: their ports are reachable on localhost, as GitHub maps them for job containers.
    return {
      image: svc.image,
      id: c.name,
      network: 'pod',
      ports: Object.fromEntries((svc.portMappings ?? []).map((p) => [p.split(':').pop()!, p.split(':').pop()!])),
    };
  });
  const response = {
    state,
    context: {
      ...(state.jobContainer
        ? { container: { image: args.container!.image, id: state.jobContainer, network: 'pod', ports: {} } }
        : {}),
      services,
    },
    isAlpine,
  };
  writeFileSync(responseFile, JSON.stringify(response), { flag: 'a' });
}
