/**
 * The runner's work folder, kept consistent with the workload pod around each step (workspace-sync.ts SYNC_PLAN):
 * before a step the runner's new files (`_temp`: the step's script, fresh file-command files, event.json; `_actions`;
 * `_tool`) go to W, and the step's working directory is made to exist there; after it, the file commands and the
 * workspace come back for the runner to read. All through the job container's agent (one emptyDir per pod).
 */
import { join } from 'node:path';
import { CONTAINER, PATHS } from '@eci-virtual/contract';
import type { AgentClient } from '../../step-transport/agent/client.js';
import { pullTree, pushTree, SYNC_PLAN, WORKSPACE, type SyncItem } from '../workspace-sync.js';
import type { HookContext } from '../hook-context.js';
import { manifestFile, type WorkloadConnection } from './connection.js';

/** A tar of nothing: PUT /v1/files creates the directory it names. */
const EMPTY_TAR = Buffer.alloc(1024);

const remoteOf = (path: string) => `${PATHS.workspace}/${path}`;

function pathOf(item: SyncItem, c: WorkloadConnection): string | undefined {
  return item.path === WORKSPACE ? c.workspace : item.path;
}

/** The step's workspace relative to the work folder, from the container path the runner hands the step. */
export function workspaceOf(containerPath: string | undefined): string | undefined {
  if (!containerPath?.startsWith(`${PATHS.workspace}/`)) return undefined;
  const rel = containerPath.slice(PATHS.workspace.length + 1).replace(/\/+$/, '');
  return rel && !rel.split('/').includes('..') ? rel : undefined;
}

async function withAgent<T>(rctx: HookContext, f: (a: AgentClient) => Promise<T>): Promise<T> {
  const agent = rctx.agent(CONTAINER.job);
  try {
    return await f(agent);
  } finally {
    agent.close();
  }
}

export async function beforeStep(rctx: HookContext, c: WorkloadConnection, workingDir?: string): Promise<void> {
  await withAgent(rctx, async (agent) => {
    for (const item of SYNC_PLAN) {
      const path = pathOf(item, c);
      if (item.direction !== 'push' || item.when !== 'before-step' || !path) continue;
      await pushTree(agent, join(rctx.workDir, path), remoteOf(path), {
        manifestFile: manifestFile(rctx.workDir, path),
        ...(item.exclude ? { exclude: item.exclude } : {}),
      });
    }
    for (const dir of [c.workspace ? remoteOf(c.workspace) : undefined, workingDir])
      if (dir?.startsWith(`${PATHS.workspace}/`)) await agent.putFiles(dir, EMPTY_TAR);
  });
}

export async function afterStep(rctx: HookContext, c: WorkloadConnection): Promise<void> {
  await withAgent(rctx, async (agent) => {
    for (const item of SYNC_PLAN) {
      const path = pathOf(item, c);
      if (item.direction !== 'pull' || item.when !== 'after-step' || !path) continue;
      await pullTree(agent, remoteOf(path), join(rctx.workDir, path)).catch((err: unknown) => {
        // A folder the step never created (no file commands, no workspace yet) is nothing to bring back.
        if ((err as { code?: string }).code !== 'NotFound') throw err;
      });
    }
  });
}
