/**
 * prepare_job when the runner may have taken another job than its pod was built for (issue #18): ask the controller
 * (the matchmaker) with the runner's evaluated args. `own` → the caller prepares the runner's own pod as always.
 * `workload` → the job runs in the workload pod W: wait for W's agents, push the work folder, create the
 * `/github/*` links and ask the Alpine question in W's job container, answer the runner with W's containers.
 * The hook state names W (`remote`) but holds no token (connection.ts keeps it in a 0600 file).
 *
 * Without a controller endpoint (an older controller) nothing is asked. When the controller cannot be reached and
 * the runner's own pod fits the images, the job runs there (a warning in the log) rather than failing.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import {
  CONTAINER,
  describeError,
  EciVirtualError,
  Internal,
  isServiceContainer,
  Timeout,
  type WorkloadAnswer,
  type WorkloadContainerArgs,
} from '@eci-virtual/contract';
import type { HookContext } from '../hook-context.js';
import type { ContainerArgs, HookState, PrepareJobArgs } from '../protocol.js';
import { remoteContext, saveConnection, type WorkloadConnection } from './connection.js';
import { askForWorkload, controllerEndpoint, jobHints } from './controller-client.js';
import { beforeStep } from './sync.js';

const AGENTS_TIMEOUT_MS = 60_000;

export interface LocalChecks {
  sameImage: (a: string | undefined, b: string | undefined) => boolean;
  /** The job container's links and Alpine probe (prepare-job.ts), here through W's agent. */
  linkStep: (ctx: HookContext) => Promise<boolean>;
}

/** How long prepare_job keeps trying an unreachable controller before it uses its own pod (when that fits). */
export const UNREACHABLE_FALLBACK_MS = 10_000;

/** Whether the runner's own pod holds the job's images and no registry credentials are needed. */
export function imagesMatch(pod: V1Pod, args: PrepareJobArgs, same: LocalChecks['sameImage']): boolean {
  const containers = pod.spec?.containers ?? [];
  const all = [...(args.container ? [args.container] : []), ...(args.services ?? [])];
  if (all.some((c) => c.registry?.username)) return false;
  if (args.container?.image) {
    const job = containers.find((c) => c.name === CONTAINER.job);
    if (!same(job?.image, args.container.image)) return false;
  }
  const free = containers.filter((c) => isServiceContainer(c.name));
  for (const s of args.services ?? []) {
    const i = free.findIndex((c) => same(c.image, s.image));
    if (i < 0) return false;
    free.splice(i, 1);
  }
  return true;
}

const wire = (c: ContainerArgs): WorkloadContainerArgs => ({
  image: c.image ?? '',
  ...(c.entryPoint ? { entryPoint: c.entryPoint } : {}),
  ...(c.entryPointArgs?.length ? { entryPointArgs: c.entryPointArgs } : {}),
  ...(c.createOptions ? { createOptions: c.createOptions } : {}),
  ...(c.environmentVariables ? { environmentVariables: c.environmentVariables } : {}),
  ...(c.registry?.username ? { registry: c.registry } : {}),
  ...(c.portMappings?.length ? { portMappings: c.portMappings } : {}),
});

/**
 * Returns true when the job was prepared in a workload pod (the response is written); false when the runner's own
 * pod is to be prepared by the caller.
 */
export async function prepareRoutedJob(
  ctx: HookContext,
  pod: V1Pod,
  args: PrepareJobArgs,
  responseFile: string,
  checks: LocalChecks,
): Promise<boolean> {
  const ep = controllerEndpoint();
  const match = imagesMatch(pod, args, checks.sameImage);
  if (!ep) return false;
  let answer: WorkloadAnswer;
  try {
    answer = await askForWorkload(
      ep,
      {
        pod: ctx.pod.name,
        imagesMatch: match,
        ...(args.container?.image ? { container: wire(args.container) } : {}),
        services: (args.services ?? []).map(wire),
        hints: jobHints(),
      },
      (line) => ctx.out(`eci-virtual: ${line}\n`),
      undefined,
      // The own pod fits: a controller that cannot be reached at all (no cluster DNS, a NetworkPolicy) costs 10 s.
      match ? UNREACHABLE_FALLBACK_MS : undefined,
    );
  } catch (err) {
    if (!match || (err instanceof EciVirtualError && err.code === 'Unauthorized')) throw err;
    ctx.out(`eci-virtual: warning: could not ask the controller (${describeError(err)}); using this pod\n`);
    return false;
  }
  if (answer.mode === 'own') return false;
  if (!answer.ip || !answer.token || !answer.pod) throw new Internal('the controller answered without W');
  ctx.out(`eci-virtual: job ${answer.job} runs in workload pod ${answer.pod}\n`);
  const conn: WorkloadConnection = { pod: answer.pod, ip: answer.ip, token: answer.token, agents: answer.agents ?? [] };
  saveConnection(ctx.workDir, conn);
  const rctx = remoteContext(ctx, conn);
  await waitForRemoteAgents(rctx, conn);
  const hasJob = args.container?.image !== undefined && conn.agents.some((a) => a.container === CONTAINER.job);
  let isAlpine = false;
  if (hasJob) {
    await beforeStep(rctx, conn);
    isAlpine = await checks.linkStep(rctx);
  }
  const services = answer.services ?? [];
  const state: HookState = {
    pod: ctx.pod,
    ...(hasJob ? { jobContainer: CONTAINER.job } : {}),
    services: services.map((s) => s.container),
    agents: conn.agents.map((a) => a.container),
    remote: { pod: answer.pod },
  };
  const response = {
    state,
    context: {
      ...(hasJob ? { container: { image: args.container!.image, id: CONTAINER.job, network: 'pod', ports: {} } } : {}),
      services: (args.services ?? []).map((svc, i) => ({
        image: svc.image,
        id: services[i]?.container ?? `service-${i + 1}`,
        network: 'pod',
        ports: Object.fromEntries((svc.portMappings ?? []).map((p) => [p.split(':').pop()!, p.split(':').pop()!])),
      })),
    },
    isAlpine,
  };
  writeFileSync(responseFile, JSON.stringify(response), { flag: 'a' });
  return true;
}

async function waitForRemoteAgents(rctx: HookContext, conn: WorkloadConnection): Promise<void> {
  const deadline = Date.now() + AGENTS_TIMEOUT_MS;
  for (const a of conn.agents) {
    const client = rctx.agent(a.container);
    try {
      for (let delay = 50; !(await client.health()); delay = Math.min(delay * 2, 1_000)) {
        if (Date.now() >= deadline)
          throw new Timeout(
            `the agent of container "${a.container}" of workload pod ${conn.pod} (${conn.ip}:${a.port}) did not answer within ${AGENTS_TIMEOUT_MS / 1000} s`,
          );
        await sleep(delay);
      }
    } finally {
      client.close();
    }
  }
}
