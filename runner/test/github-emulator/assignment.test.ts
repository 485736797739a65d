/**
 * How the emulator hands queued jobs to runners: in the configured order (oldest first by default, newest first or
 * seeded-random as adversarial orders — GitHub gives a job to any idle runner whose labels match), and a JIT runner
 * runs exactly one job: once it is done the runner is deregistered and any further acquire is refused.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { queuePlainJobs } from './plain-jobs.js';
import { GitHubEmulator } from './server.js';
import type { AssignmentOrder } from './state.js';

const REPO = 'acme/app';
const TOKEN = 'ghp_assignmentTest';

async function emulatorWith(order?: AssignmentOrder): Promise<GitHubEmulator> {
  const e = new GitHubEmulator({
    token: TOKEN,
    webhookSecret: 's',
    runnerHost: '127.0.0.1',
    host: '127.0.0.1',
    ...(order ? { assignmentOrder: order } : {}),
  });
  await e.start();
  return e;
}

async function queue(e: GitHubEmulator, n: number): Promise<number[]> {
  return (await queuePlainJobs(e, REPO, n)).map((j) => j.id);
}

async function register(e: GitHubEmulator, name: string): Promise<{ token: string; id: number }> {
  const res = await fetch(`${e.url}/repos/${REPO}/actions/runners/generate-jitconfig`, {
    method: 'POST',
    headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, runner_group_id: 1, labels: ['eci-virtual'] }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { encoded_jit_config: string; runner: { id: number } };
  const jit = JSON.parse(Buffer.from(body.encoded_jit_config, 'base64').toString('utf8')) as { token: string };
  return { token: jit.token, id: body.runner.id };
}

const broker = (e: GitHubEmulator, token: string, path: string, body: unknown = {}) =>
  fetch(`${e.url}/_runner${path}`, {
    method: 'POST',
    headers: { authorization: `RemoteAuth ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function takeAll(e: GitHubEmulator, n: number): Promise<number[]> {
  const got: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await register(e, `runner-${i}`);
    const res = await broker(e, r.token, '/acquire');
    expect(res.status).toBe(200);
    got.push(((await res.json()) as { jobId: number }).jobId);
  }
  return got;
}

describe('emulated job assignment', () => {
  let e: GitHubEmulator | undefined;
  afterEach(async () => {
    await e?.stop();
    e = undefined;
  });

  it('hands out the oldest queued job first by default', async () => {
    e = await emulatorWith();
    const ids = await queue(e, 4);
    expect(await takeAll(e, 4)).toEqual(ids);
  });

  it('hands out the newest queued job first when asked to', async () => {
    e = await emulatorWith('newest-first');
    const ids = await queue(e, 4);
    expect(await takeAll(e, 4)).toEqual([...ids].reverse());
  });

  it('hands out jobs in a seeded random order that replays with the same seed', async () => {
    e = await emulatorWith({ random: 42 });
    const ids = await queue(e, 8);
    const first = await takeAll(e, 8);
    expect([...first].sort()).toEqual([...ids].sort());
    expect(first).not.toEqual(ids);
    await e.stop();
    e = await emulatorWith({ random: 42 });
    const again = await queue(e, 8);
    const second = await takeAll(e, 8);
    // Same seed, same positions in the queue.
    expect(second.map((id) => again.indexOf(id))).toEqual(first.map((id) => ids.indexOf(id)));
  });

  it('gives a JIT runner one job only: deregistered after it, further acquires refused', async () => {
    e = await emulatorWith();
    const [a, b] = await queue(e, 2);
    const r = await register(e, 'eci-virtual-1');
    const first = await broker(e, r.token, '/acquire');
    expect(((await first.json()) as { jobId: number }).jobId).toBe(a);
    // A reconnect while the job runs gets the same job back.
    const again = await broker(e, r.token, '/acquire');
    expect(((await again.json()) as { jobId: number }).jobId).toBe(a);
    expect((await broker(e, r.token, `/jobs/${a}/complete`, { conclusion: 'success' })).status).toBe(200);
    expect(e.state.runners.has(r.id)).toBe(false);
    const list = await fetch(`${e.url}/repos/${REPO}/actions/runners`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(((await list.json()) as { total_count: number }).total_count).toBe(0);
    const after = await broker(e, r.token, '/acquire');
    expect(after.status).toBe(401);
    expect(e.state.jobs.get(b!)!.status).toBe('queued');
    // The swap is recorded by the runner's name, `eci-virtual-<jobId>` of the controller.
    expect(e.swaps).toEqual([{ runner: 'eci-virtual-1', jobId: a }]);
  });
});
