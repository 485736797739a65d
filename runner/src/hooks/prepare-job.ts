/**
 * prepare_job: the job and service containers already exist in this pod (the controller read the workflow up front),
 * so preparing is finding them — matched by image —, waiting until the step agent of every container that serves
 * one answers, starting the services their agents hold with the env the runner evaluated (services.ts), keeping the
 * job container's evaluated env for its steps (HookState.jobEnv), linking the runner's `/github/*` folders inside
 * the job container and telling the runner whether the job image is Alpine (it then uses its musl node). The link
 * step is an agent step like any other: the links are the agent's `symlinks`, and `eci-agent probe` answers the
 * Alpine question — no shell in the image needed. Env values are never logged or written anywhere but to the agents.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import {
  AGENT,
  agentSocketPath,
  CONTAINER,
  heldByAgent,
  heldDefault,
  Internal,
  isServiceContainer,
  NotFound,
  PATHS,
  servesAgent,
  Timeout,
} from '@eci-virtual/contract';
import { factsFromPod, timingsFromPod } from '../pod-assembly/pod-facts.js';
import { execLinkStep } from './exec-fallback.js';
import type { HookContext } from './hook-context.js';
import { runHookStep } from './hook-step.js';
import type { ContainerArgs, HookState, PrepareJobArgs } from './protocol.js';
import { containerEnv, startServices, type HeldService } from './services.js';
import { prepareRoutedJob } from './workload/prepare-remote.js';

/** How long prepare_job waits for the agents (their containers start with the pod, usually long before). */
export const AGENT_READY_TIMEOUT_MS = 60_000;

/** The runner's system mounts `_temp/_github_home` → /github/home etc., as links onto the workspace. */
export const GITHUB_LINKS = [
  { path: `${PATHS.github}/home`, target: `${PATHS.temp}/_github_home` },
  { path: `${PATHS.github}/workflow`, target: `${PATHS.temp}/_github_workflow` },
];

export const sameImage = (a: string | undefined, b: string | undefined) =>
  !!a &&
  !!b &&
  (a === b ||
    a === `docker.io/${b}` ||
    `docker.io/library/${b}` === a ||
    a.replace(/^docker\.io\/(library\/)?/, '') === b.replace(/^docker\.io\/(library\/)?/, ''));

export async function prepareJob(ctx: HookContext, args: PrepareJobArgs, responseFile: string): Promise<void> {
  const pod = await (await ctx.kube()).core.readNamespacedPod(ctx.pod);
  // The runner may have taken another job than this pod was built for: the controller says where it runs.
  if (await prepareRoutedJob(ctx, pod, args, responseFile, { sameImage, linkStep: agentLinkStep })) return;
  const containers = pod.spec?.containers ?? [];
  const agents = containers.filter(servesAgent).map((c) => c.name);
  const state: HookState = {
    pod: ctx.pod,
    services: [],
    facts: JSON.stringify(factsFromPod(pod, undefined, timingsFromPod(pod))),
    agents,
  };
  await waitForAgents(ctx, agents);
  let jobContainer: Promise<boolean> | undefined;
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
    state.jobEnv = containerEnv(args.container.environmentVariables ?? {});
    jobContainer = agents.includes(CONTAINER.job) ? agentLinkStep(ctx) : execLinkStep(ctx, CONTAINER.job);
  }
  const used = new Set<string>();
  const held: HeldService[] = [];
  const services = (args.services ?? []).map((svc: ContainerArgs, i) => {
    const c = containers.find((x) => isServiceContainer(x.name) && !used.has(x.name) && sameImage(x.image, svc.image));
    if (!c) throw new NotFound(`service #${i + 1} (${svc.image ?? 'no image'}) is not in pod ${ctx.pod.name}`);
    used.add(c.name);
    state.services.push(c.name);
    if (heldByAgent(c)) held.push({ container: c.name, args: svc, image: heldDefault(c) });
    else if (Object.keys(svc.environmentVariables ?? {}).length || svc.entryPoint || svc.entryPointArgs?.length)
      ctx.out(
        `eci-virtual: service ${svc.image} (container ${c.name}) is not held by an agent (see the job's PlanIncomplete ` +
          'event): it runs its image command, without the env and command the runner evaluated for it\n',
      );
    // Services share the pod's network: their ports are reachable on localhost, as GitHub maps them for job containers.
    return {
      image: svc.image,
      id: c.name,
      network: 'pod',
      ports: Object.fromEntries((svc.portMappings ?? []).map((p) => [p.split(':').pop()!, p.split(':').pop()!])),
    };
  });
  const [isAlpine] = await Promise.all([
    jobContainer ?? false,
    startServices(held, (name) => ctx.agent(name), { describeExit: (name) => describeExit(ctx, name) }),
  ]);
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

/** Why a container stopped, from its pod status (which may lag the exit a little) and the end of its log. */
async function describeExit(ctx: HookContext, container: string): Promise<string | undefined> {
  const kube = await ctx.kube();
  let state = 'no status';
  for (let i = 0; i < 10; i++) {
    const pod = await kube.core.readNamespacedPod(ctx.pod).catch(() => undefined);
    state = containerState(pod, container);
    if (state.startsWith('terminated')) break;
    await sleep(300);
  }
  const log = await kube.core
    .readNamespacedPodLog({ ...ctx.pod, container, tailLines: 20, limitBytes: 16_384 })
    .catch(() => '');
  const tail = String(log).trimEnd();
  return `${state}${tail ? `; last lines of its log:\n${tail}` : ''}`;
}

/** The job container's links and Alpine check as one agent step; returns whether the image is Alpine. */
export async function agentLinkStep(ctx: HookContext): Promise<boolean> {
  const chunks: Buffer[] = [];
  const code = await runHookStep(
    ctx,
    { container: CONTAINER.job, agent: true },
    { argv: [AGENT.binary, 'probe'], env: {}, prependPath: [], symlinks: GITHUB_LINKS },
    (c) => chunks.push(c),
  );
  const out = Buffer.concat(chunks).toString('utf8');
  if (code !== 0) throw new Internal(`preparing the job container failed with exit code ${code}: ${out.trim()}`);
  try {
    return (JSON.parse(out) as { alpine?: unknown }).alpine === true;
  } catch {
    throw new Internal(`the job container's agent answered the probe with ${JSON.stringify(out.slice(0, 200))}`);
  }
}

/**
 * Waits until the agent of every listed container answers /v1/healthz, at most AGENT_READY_TIMEOUT_MS; the error
 * names the containers that never answered and what Kubernetes says about them.
 */
export async function waitForAgents(
  ctx: HookContext,
  containers: readonly string[],
  timeoutMs = AGENT_READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const waiting = new Set(containers);
  await Promise.all(
    containers.map(async (name) => {
      const client = ctx.agent(name);
      try {
        for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
          if (await client.health()) return void waiting.delete(name);
          if (Date.now() >= deadline) return;
          await sleep(delay);
        }
      } finally {
        client.close();
      }
    }),
  );
  if (!waiting.size) return;
  const pod = await ctx
    .kube()
    .then((k) => k.core.readNamespacedPod(ctx.pod))
    .catch(() => undefined);
  const names = [...waiting];
  throw new Timeout(
    `the step agent of container${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')} did not answer within ${timeoutMs / 1000} s ` +
      `(${names.map((n) => `${agentSocketPath(ctx.workDir, n)}: ${containerState(pod, n)}`).join('; ')})`,
    { hint: 'the container must be running its entrypoint `eci-agent serve`; see `kubectl describe pod` and its logs' },
  );
}

function containerState(pod: V1Pod | undefined, name: string): string {
  const st = pod?.status?.containerStatuses?.find((c) => c.name === name)?.state;
  if (st?.running) return 'running';
  if (st?.waiting) return `waiting (${[st.waiting.reason, st.waiting.message].filter(Boolean).join(': ')})`;
  if (st?.terminated)
    return `terminated (exit code ${st.terminated.exitCode}${st.terminated.reason ? `, ${st.terminated.reason}` : ''})`;
  return 'no status';
}
