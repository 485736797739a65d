/**
 * How the hooks reach the workload pod between hook processes: W's IP, its agents' ports and token, and the job's
 * workspace, in a 0600 file in the runner's work folder — outside `_temp` (emptied by the runner, pushed to W) and
 * never in the hook state (the runner keeps and may log that). Hook contexts over it drive W's agents over TCP.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InvalidInput, NotFound, type WorkloadAgent } from '@eci-virtual/contract';
import { AgentClient } from '../../step-transport/agent/client.js';
import type { HookContext } from '../hook-context.js';

export interface WorkloadConnection {
  pod: string;
  ip: string;
  token: string;
  agents: WorkloadAgent[];
  /** The job's workspace relative to the work folder (`repo/repo`), once a step named it. */
  workspace?: string;
}

export const connectionFile = (workDir: string) => join(workDir, '_eci', 'workload', 'connection.json');
/** pushTree's manifests, one per pushed folder. */
export const manifestFile = (workDir: string, name: string) =>
  join(workDir, '_eci', 'workload', `push-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);

export function saveConnection(workDir: string, c: WorkloadConnection): void {
  const file = connectionFile(workDir);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(c), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function loadConnection(workDir: string): WorkloadConnection {
  try {
    return JSON.parse(readFileSync(connectionFile(workDir), 'utf8')) as WorkloadConnection;
  } catch (err) {
    throw new InvalidInput(`the workload pod's connection is missing: ${(err as Error).message}`, {
      hint: 'prepare_job writes it; it must run first in this runner pod',
    });
  }
}

export function agentPort(c: WorkloadConnection, container: string): number {
  const a = c.agents.find((x) => x.container === container);
  if (!a) throw new NotFound(`workload pod ${c.pod} has no agent in container ${container}`);
  return a.port;
}

/** The hook context whose agents are W's, over TCP (everything else as the runner pod's). */
export function remoteContext(ctx: HookContext, c: WorkloadConnection): HookContext {
  return {
    ...ctx,
    agent: (container) => new AgentClient({ host: c.ip, port: agentPort(c, container), token: c.token }),
  };
}
