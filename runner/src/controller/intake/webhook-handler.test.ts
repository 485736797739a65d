import { describe, expect, it } from '@jest/globals';
import { GitHubEmulator, type QueueJobInput } from '../../../test/github-emulator/server.js';
import type { Delivery } from '../../../test/github-emulator/webhooks.js';
import { createLogger } from '../../observability/logger.js';
import { signWebhookBody } from '../github/webhook-signature.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { createControllerMetrics } from '../metrics.js';
import type { AcceptedDelivery } from './delivery-inbox.js';
import { WebhookHandler } from './webhook-handler.js';

interface TestIntake {
  down: boolean;
  accept(d: AcceptedDelivery): Promise<'accepted' | 'duplicate'>;
}

function setup(sharedIntake?: TestIntake) {
  const queued: WorkflowJob[] = [];
  const completed: WorkflowJob[] = [];
  // Like the inbox in Kubernetes: one entry per delivery id, whichever replica asks; `down` makes it unreachable.
  const kept = new Set<string>();
  const intake: TestIntake = sharedIntake ?? {
    down: false,
    accept: async (d: AcceptedDelivery) => {
      if (intake.down) throw new Error('connect ECONNREFUSED');
      if (kept.has(d.id)) return 'duplicate' as const;
      kept.add(d.id);
      (d.action === 'queued' ? queued : completed).push(d.job);
      return 'accepted' as const;
    },
  };
  const handler = new WebhookHandler(
    'sec',
    intake,
    createLogger({ component: 'test' }, { level: 'error', write: () => undefined }),
    createControllerMetrics(),
  );
  const deliver = (payload: unknown, opts: { id?: string; event?: string; secret?: string } = {}) => {
    const body = Buffer.from(JSON.stringify(payload));
    return handler.handle(
      {
        'x-github-event': opts.event ?? 'workflow_job',
        'x-github-delivery': opts.id ?? String(Math.random()),
        'x-hub-signature-256': signWebhookBody(opts.secret ?? 'sec', body),
      },
      body,
    );
  };
  return { queued, completed, deliver, intake, handle: handler.handle.bind(handler) };
}

const payload = (action: string) => ({
  action,
  workflow_job: {
    id: 5,
    run_id: 6,
    name: 'j',
    head_sha: 'abc',
    labels: ['eci-virtual'],
    status: action === 'completed' ? 'completed' : 'queued',
    runner_name: 'eci-virtual-5',
  },
  repository: { full_name: 'o/r' },
});

describe('webhook handler', () => {
  it('dispatches queued and completed jobs once per delivery', async () => {
    const s = setup();
    expect((await s.deliver(payload('queued'), { id: 'd1' })).status).toBe(202);
    expect(await s.deliver(payload('queued'), { id: 'd1' })).toMatchObject({
      status: 200,
      body: { result: 'duplicate delivery ignored' },
    });
    expect((await s.deliver(payload('completed'), { id: 'd2' })).status).toBe(202);
    expect((await s.deliver(payload('in_progress'), { id: 'd3' })).status).toBe(202);
    expect(s.queued.map((j) => j.id)).toEqual([5]);
    expect(s.completed.map((j) => j.runnerName)).toEqual(['eci-virtual-5']);
  });

  it('rejects bad signatures before reading anything, and malformed payloads', async () => {
    const s = setup();
    expect((await s.deliver(payload('queued'), { secret: 'wrong' })).status).toBe(401);
    expect((await s.deliver({ action: 'queued', workflow_job: {}, repository: { full_name: 'o/r' } })).status).toBe(
      400,
    );
    expect((await s.deliver({ action: 'queued', workflow_job: payload('queued').workflow_job })).status).toBe(400);
    expect(await s.deliver({ zen: 'hi' }, { event: 'ping' })).toMatchObject({
      status: 202,
      body: { result: 'event ping ignored' },
    });
    expect(s.queued).toHaveLength(0);
  });
  it('answers 503 when the delivery cannot be kept, and takes the same delivery when it comes again', async () => {
    const s = setup();
    s.intake.down = true;
    expect(await s.deliver(payload('queued'), { id: 'd9' })).toMatchObject({
      status: 503,
      body: { error: { code: 'unavailable' } },
    });
    expect(s.queued).toHaveLength(0);
    s.intake.down = false;
    expect((await s.deliver(payload('queued'), { id: 'd9' })).status).toBe(202);
    expect((await s.deliver(payload('queued'), { id: 'd9' })).status).toBe(200);
    expect(s.queued.map((j) => j.id)).toEqual([5]);
  });

  it('recognises a redelivery another replica took (the shared intake says duplicate)', async () => {
    const s = setup();
    const other = setup(s.intake);
    expect((await s.deliver(payload('queued'), { id: 'd5' })).status).toBe(202);
    expect(await other.deliver(payload('queued'), { id: 'd5' })).toMatchObject({
      status: 200,
      body: { result: 'duplicate delivery ignored' },
    });
    expect(s.queued.map((j) => j.id)).toEqual([5]);
  });
});

/**
 * Deliveries exactly as the GitHub emulator makes them (headers and raw body, schema-checked in
 * runner/test/github-emulator/schemas.test.ts): the emulator has no webhook URL, so it only records them.
 */
describe('webhook handler with GitHub-shaped deliveries', () => {
  function withEmulator() {
    const s = setup();
    const emulator = new GitHubEmulator({ webhookSecret: 'sec', runnerHost: '127.0.0.1' });
    const deliver = (d: Delivery) => s.handle(d.headers, Buffer.from(d.rawBody));
    const last = () => emulator.webhooks.deliveries.at(-1)!;
    const queue = (extra: Partial<QueueJobInput> = {}) =>
      emulator.queueJob({
        repo: 'octo-org/hello',
        workflowPath: '.github/workflows/ci.yml',
        workflowText: 'jobs: {}',
        name: 'build',
        labels: ['self-hosted', 'eci-virtual'],
        message: { steps: [] },
        ...extra,
      });
    return { ...s, emulator, deliver, last, queue };
  }

  it('accepts form-encoded deliveries signed over the raw form body', async () => {
    const s = withEmulator();
    s.emulator.webhooks.contentType = 'form';
    const job = await s.queue();
    const d = s.last();
    expect(d.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect((await s.deliver(d)).status).toBe(202);
    expect(s.queued.map((j) => j.id)).toEqual([job.id]);
    // The signature is over the form body: the same JSON sent as JSON with that signature is refused.
    expect(
      (
        await s.handle(
          { ...d.headers, 'content-type': 'application/json', 'x-github-delivery': 'x' },
          Buffer.from(d.body),
        )
      ).status,
    ).toBe(401);
    const noPayload = Buffer.from('other=1');
    expect(
      (
        await s.handle(
          {
            ...d.headers,
            'x-github-delivery': 'y',
            'x-hub-signature-256': signWebhookBody('sec', noPayload),
          },
          noPayload,
        )
      ).status,
    ).toBe(400);
  });

  it('starts no runner for a job waiting for deployment approval, whichever action says so', async () => {
    const s = withEmulator();
    const job = await s.queue({ environmentApproval: true });
    expect(s.last().action).toBe('waiting');
    expect(await s.deliver(s.last())).toMatchObject({ status: 202, body: { result: 'job waiting; not launched' } });
    // `queued` whose job is still `waiting` (allowed by the queued payload's schema).
    await s.emulator.sendJobWebhook(job, 'queued');
    expect(JSON.parse(s.last().body)).toMatchObject({ action: 'queued', workflow_job: { status: 'waiting' } });
    expect((await s.deliver(s.last())).status).toBe(202);
    expect(s.queued).toHaveLength(0);
    await s.emulator.approve(job.id);
    expect((await s.deliver(s.last())).status).toBe(202);
    expect(s.queued.map((j) => [j.id, j.status])).toEqual([[job.id, 'queued']]);
  });

  it('ignores null labels instead of refusing the delivery', async () => {
    const s = withEmulator();
    const job = await s.queue();
    const payload = s.emulator.jobWebhookPayload(job, 'queued');
    const labels: (string | null)[] = [null, 'self-hosted', null, 'eci-virtual'];
    const body = Buffer.from(JSON.stringify({ ...payload, workflow_job: { ...payload.workflow_job, labels } }));
    const r = await s.handle(
      {
        'x-github-event': 'workflow_job',
        'x-github-delivery': 'n1',
        'x-hub-signature-256': signWebhookBody('sec', body),
      },
      body,
    );
    expect(r.status).toBe(202);
    expect(s.queued.map((j) => j.labels)).toEqual([['self-hosted', 'eci-virtual']]);
  });

  it('hands on a job cancelled after it started, and every other way a job ends', async () => {
    const s = withEmulator();
    const running = await s.queue();
    await s.emulator.startJob(running.id);
    expect((await s.deliver(s.last())).status).toBe(202); // in_progress: nothing to do
    await s.emulator.cancel(running.id);
    expect((await s.deliver(s.last())).status).toBe(202);
    for (const c of ['skipped', 'timed_out', 'neutral'] as const) {
      const j = await s.queue();
      if (c === 'timed_out') {
        await s.emulator.startJob(j.id);
        await s.deliver(s.last());
      }
      await s.emulator.finishJob(j.id, c);
      expect((await s.deliver(s.last())).status).toBe(202);
    }
    expect(s.completed.map((j) => [j.conclusion, j.runnerName !== null])).toEqual([
      ['cancelled', true],
      ['skipped', false],
      ['timed_out', true],
      ['neutral', false],
    ]);
    expect(s.completed[0]).toMatchObject({
      id: running.id,
      runnerName: `eci-virtual-${running.id}`,
      status: 'completed',
    });
    expect(s.queued).toHaveLength(0);
  });
});
