/**
 * Simulated runners for fleet simulations: when a simulated ECI group's containers start (SimulatedRuntime's
 * `onStart`), the runner its pod would run takes a job from the GitHub emulator's broker with the JIT config the pod
 * was given (`ACTIONS_RUNNER_INPUT_JITCONFIG`, resolved by the virtual node from the job's Secret into the group's
 * environment), reports one step, holds the job for `jobMs`, completes it and exits 0 — the protocol of the runner
 * stand-in (runner-stand-in/stand-in.ts: acquire until a job comes, 401/403/404 = the registration is gone, one job
 * per ephemeral runner), without a process.
 *
 * The broker URL in the JIT config names the pod network's gateway (where pods reach the host); the simulation runs
 * on the host, so it calls the same port on 127.0.0.1.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimeGroup } from '../eci-emulator/runtime.js';

interface Jit {
  runnerId: number;
  runnerName: string;
  brokerUrl: string;
  token: string;
}

export interface SimulatedRunnerOptions {
  /** How long a job runs once taken (default 0). */
  jobMs?: number;
  /** Ends the group's app containers with this exit code (SimulatedRuntime.finish). */
  finish: (groupId: string, exitCode: number) => void;
  /** Between acquire polls when no job is assignable yet (default 500 ms, the stand-in's). */
  pollMs?: number;
  /**
   * Asked when the broker refuses a runner: whether the job its pod was launched for had already completed (then the
   * controller reaped a spare runner on purpose — its job ran elsewhere — and the refusal is expected).
   */
  ownJobDone?: (runnerName: string) => boolean;
}

export interface RunnerOutcome {
  jobId?: number;
  /** When the runner took its job (performance.now()). */
  tookAt?: number;
  /** The broker's answer when it refused the runner (its registration was gone). */
  refused?: number;
  /** The runner's name, from its JIT config. */
  runnerName?: string;
  /** Whether, when refused, the job its pod was launched for had already completed (`ownJobDone`). */
  refusedAfterOwnJob?: boolean;
  error?: string;
}

export class SimulatedRunners {
  /** Group id → what its runner did. */
  readonly outcomes = new Map<string, RunnerOutcome>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: SimulatedRunnerOptions) {}

  /** SimulatedRuntime's `onStart`. */
  readonly onStart = (group: RuntimeGroup): void => {
    const raw = group.containers.flatMap((c) => c.env).find(([k]) => k === 'ACTIONS_RUNNER_INPUT_JITCONFIG')?.[1];
    if (!raw) return; // not a runner pod: it just runs until deleted
    const p = this.run(group.id, raw).finally(() => this.running.delete(p));
    this.running.add(p);
  };

  get jobsTaken(): number {
    let n = 0;
    for (const o of this.outcomes.values()) if (o.jobId !== undefined) n++;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running]);
  }

  private async run(groupId: string, raw: string): Promise<void> {
    const outcome: RunnerOutcome = {};
    this.outcomes.set(groupId, outcome);
    try {
      const jit = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Jit;
      outcome.runnerName = jit.runnerName;
      const url = new URL(jit.brokerUrl);
      url.hostname = '127.0.0.1';
      const base = url.origin;
      const call = (path: string, body: unknown = {}) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `RemoteAuth ${jit.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      for (;;) {
        if (this.closed) return;
        const res = await call('/_runner/acquire');
        if (res.status === 200) {
          const job = (await res.json()) as { jobId: number };
          outcome.jobId = job.jobId;
          outcome.tookAt = performance.now();
          break;
        }
        await res.arrayBuffer();
        if (res.status === 401 || res.status === 403 || res.status === 404) {
          outcome.refused = res.status;
          outcome.refusedAfterOwnJob = this.opts.ownJobDone?.(jit.runnerName) ?? false;
          this.opts.finish(groupId, 0);
          return;
        }
        await sleep(this.opts.pollMs ?? 500);
      }
      await (await call(`/_runner/jobs/${outcome.jobId}/steps`, { name: 'simulated', exitCode: 0, log: '' })).text();
      if (this.opts.jobMs) await sleep(this.opts.jobMs);
      await (await call(`/_runner/jobs/${outcome.jobId}/complete`, { conclusion: 'success' })).text();
      this.opts.finish(groupId, 0);
    } catch (err) {
      outcome.error = String((err as Error).cause ?? err);
      this.opts.finish(groupId, 1);
    }
  }
}
