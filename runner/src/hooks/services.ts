/**
 * Starts the `services:` containers that their agents hold (pod-parts.ts `held`): each gets `POST /v1/main` with
 * the runner's evaluated env for it — secrets and matrix values included, which is why they are never in the pod
 * spec — on top of the image's own environment (`inheritEnv`), plus what `docker create` adds for the runner
 * (`GITHUB_ACTIONS=true`, `CI=true` unless set; actions/runner DockerCommandManager.DockerCreate). The command is
 * the image's ENTRYPOINT+CMD, or what the workflow's `entrypoint`/`command` override, with docker's rules:
 * `entrypoint` replaces ENTRYPOINT and drops CMD, `command` replaces CMD.
 *
 * A service that exits within `settleMs` of its start fails prepare_job with an error naming it, its exit code and
 * the last lines of its log (from `describeExit`), as `docker start` of a crashing service would surface it.
 *
 * Generic over where the containers live: the controller's job pod or a pod built on demand both hand a function
 * giving the agent client of a container. Never logs env values.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInput, Unavailable } from '@eci-virtual/contract';
import type { AgentClient } from '../step-transport/agent/client.js';
import type { MainRequest } from '../step-transport/agent/protocol.js';
import type { ContainerArgs } from './protocol.js';

export interface HeldService {
  /** The container that runs it (held by its agent). */
  container: string;
  /** What the runner sent for it: prepare_job `args.services[i]`. */
  args: ContainerArgs;
  /** The image's own ENTRYPOINT and CMD, as the agent holds them (contract `heldDefault`). */
  image: { entrypoint: string[]; cmd: string[] };
}

export interface StartServicesOptions {
  /** How long a started service must stay up to count as started (default 500 ms). */
  settleMs?: number;
  /** Why a container stopped: its exit code and last log lines, for the error. */
  describeExit?: (container: string) => Promise<string | undefined>;
}

/** What `docker create` adds to every container it makes for the runner (DockerCommandManager.DockerCreate). */
export function containerEnv(evaluated: Record<string, string> | undefined): Record<string, string> {
  return { ...evaluated, GITHUB_ACTIONS: 'true', ...(evaluated && 'CI' in evaluated ? {} : { CI: 'true' }) };
}

/** The argv of the main process: undefined = the image's default the agent holds. */
export function serviceArgv(s: HeldService): string[] | undefined {
  const entryPoint = s.args.entryPoint?.trim();
  const args = s.args.entryPointArgs ?? [];
  if (entryPoint) return [entryPoint, ...args];
  if (args.length) return [...s.image.entrypoint, ...args];
  return undefined;
}

export function mainRequest(s: HeldService): MainRequest {
  const argv = serviceArgv(s);
  if (!argv && !s.image.entrypoint.length && !s.image.cmd.length)
    throw new InvalidInput(
      `service ${s.args.image ?? s.container} has no command: its image sets no ENTRYPOINT or CMD`,
      {
        hint: 'give the service a `command:` (or `entrypoint:`) in the workflow',
      },
    );
  return {
    ...(argv ? { argv } : {}),
    env: containerEnv(s.args.environmentVariables),
    inheritEnv: true,
    ...(s.args.workingDirectory ? { workingDir: s.args.workingDirectory } : {}),
  };
}

export async function startServices(
  services: readonly HeldService[],
  agentOf: (container: string) => AgentClient,
  opts: StartServicesOptions = {},
): Promise<void> {
  if (!services.length) return;
  const clients = new Map(services.map((s) => [s.container, agentOf(s.container)]));
  try {
    await Promise.all(services.map((s) => clients.get(s.container)!.startMain(mainRequest(s))));
    await sleep(opts.settleMs ?? 500);
    const exited: HeldService[] = [];
    await Promise.all(
      services.map(async (s) => {
        // The agent exits with its main process (and its socket goes): no answer means the service stopped.
        if (!(await clients.get(s.container)!.health())) exited.push(s);
      }),
    );
    if (!exited.length) return;
    const why = await Promise.all(
      exited.map(async (s) => {
        const detail = await opts.describeExit?.(s.container).catch(() => undefined);
        return `service ${s.args.image ?? s.container} (container ${s.container}) exited right after it started${detail ? `: ${detail}` : ''}`;
      }),
    );
    throw new Unavailable(why.join('\n'), { hint: "see the service image's documentation for the env it needs" });
  } finally {
    for (const c of clients.values()) c.close();
  }
}
