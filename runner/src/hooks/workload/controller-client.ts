/**
 * The hooks' side of `/v1/workloads` (contract workload.ts): ask the controller which pod runs the job this runner
 * took, and release the workload pod at the end. The controller URL and the runner pod's token come from the
 * runner container's env (the token through the per-job Secret, never in the pod spec); the hook never writes the
 * token anywhere.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Internal,
  Timeout,
  Unauthorized,
  Unavailable,
  WORKLOAD_ENV,
  WORKLOAD_ROUTES,
  type WorkloadAnswer,
  type WorkloadRequest,
} from '@eci-virtual/contract';

/** Image pulls of a big job image can take minutes; the runner's own job timeout still bounds the job. */
export const WORKLOAD_READY_TIMEOUT_MS = 15 * 60_000;

export interface ControllerEndpoint {
  url: string;
  token: string;
}

/** The controller of this runner pod, or undefined when it hands out no workloads (an older controller). */
export function controllerEndpoint(env: NodeJS.ProcessEnv = process.env): ControllerEndpoint | undefined {
  const url = env[WORKLOAD_ENV.controllerUrl];
  const token = env[WORKLOAD_ENV.token];
  return url && token ? { url: url.replace(/\/+$/, ''), token } : undefined;
}

/** What the runner tells its hook processes about the job (GitHubContext as GITHUB_* env, ScriptHandler). */
export function jobHints(env: NodeJS.ProcessEnv = process.env): WorkloadRequest['hints'] {
  const num = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
  const runId = num(env.GITHUB_RUN_ID);
  const runAttempt = num(env.GITHUB_RUN_ATTEMPT);
  return {
    ...(runId ? { runId } : {}),
    ...(runAttempt ? { runAttempt } : {}),
    ...(env.GITHUB_JOB ? { jobKey: env.GITHUB_JOB } : {}),
    ...(env.GITHUB_REPOSITORY ? { repository: env.GITHUB_REPOSITORY } : {}),
  };
}

async function call(ep: ControllerEndpoint, method: string, path: string, body?: unknown) {
  let res: Response;
  try {
    res = await fetch(`${ep.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ep.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new Unavailable(`controller at ${ep.url} unreachable: ${String((err as Error).cause ?? err)}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

const messageOf = (r: { json: unknown; text: string }) =>
  (r.json as { error?: { message?: string } } | undefined)?.error?.message ?? r.text.slice(0, 300);

/**
 * Asks until the controller answers `own` or a running workload pod; 202 (W not running yet) and 503 (GitHub does
 * not yet show which job the runner took) are asked again. `progress` hears W's phase when it changes.
 */
export async function askForWorkload(
  ep: ControllerEndpoint,
  req: WorkloadRequest,
  progress: (line: string) => void,
  timeoutMs = WORKLOAD_READY_TIMEOUT_MS,
  /** Give up after this long without any answer (the caller then uses the runner's own pod when it fits). */
  unreachableMs = timeoutMs,
): Promise<WorkloadAnswer> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let unreachableSince: number | undefined;
  for (;;) {
    const r = await call(ep, 'POST', WORKLOAD_ROUTES.request, req).catch((err: unknown) => {
      unreachableSince ??= Date.now();
      if (err instanceof Unavailable && Date.now() < deadline && Date.now() - unreachableSince < unreachableMs)
        return undefined;
      throw err;
    });
    if (r) unreachableSince = undefined;
    if (r?.status === 200) return r.json as WorkloadAnswer;
    if (r?.status === 401) throw new Unauthorized(`the controller refused this runner pod's token: ${messageOf(r)}`);
    if (r && r.status !== 202 && r.status !== 503 && r.status < 500)
      throw new Internal(`the controller answered ${r.status}: ${messageOf(r)}`);
    const a = r?.json as WorkloadAnswer | undefined;
    const now = r?.status === 202 ? `workload pod ${a?.pod}: ${a?.phase}${a?.message ? ` (${a.message})` : ''}` : '';
    if (now && now !== last) progress(now);
    last = now || last;
    if (Date.now() >= deadline)
      throw new Timeout(`no workload pod ready within ${Math.round(timeoutMs / 1000)} s (${last || messageOf(r!)})`);
    await sleep(r ? 500 : 2_000);
  }
}

/** The runner pod is done: its workload pod and that pod's Secrets are deleted. */
export async function releaseWorkload(ep: ControllerEndpoint, runnerPod: string): Promise<void> {
  // 503: a replica that does not lead (or a leader change); ask again for a while — the garbage collector deletes W
  // with the runner pod anyway.
  let r = await call(ep, 'DELETE', WORKLOAD_ROUTES.workload(runnerPod));
  for (let i = 0; i < 20 && r.status === 503; i++) {
    await sleep(500);
    r = await call(ep, 'DELETE', WORKLOAD_ROUTES.workload(runnerPod));
  }
  if (r.status !== 200) throw new Internal(`releasing the workload pod failed (${r.status}): ${messageOf(r)}`);
}
