import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../observability/logger.js';
import { signWebhookBody } from '../github/webhook-signature.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { createControllerMetrics } from '../metrics.js';
import { WebhookHandler } from './webhook-handler.js';

function setup() {
  const queued: WorkflowJob[] = [];
  const completed: WorkflowJob[] = [];
  const handler = new WebhookHandler(
    'sec',
    { onQueued: async (j) => void queued.push(j), onCompleted: async (j) => void completed.push(j) },
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
  return { queued, completed, deliver };
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
  it('dispatches queued and completed jobs once per delivery', () => {
    const s = setup();
    expect(s.deliver(payload('queued'), { id: 'd1' }).status).toBe(202);
    expect(s.deliver(payload('queued'), { id: 'd1' })).toMatchObject({
      status: 200,
      body: { result: 'duplicate delivery ignored' },
    });
    expect(s.deliver(payload('completed'), { id: 'd2' }).status).toBe(202);
    expect(s.deliver(payload('in_progress'), { id: 'd3' }).status).toBe(202);
    expect(s.queued.map((j) => j.id)).toEqual([5]);
    expect(s.completed.map((j) => j.runnerName)).toEqual(['eci-virtual-5']);
  });

  it('rejects bad signatures before reading anything, and malformed payloads', () => {
    const s = setup();
    expect(s.deliver(payload('queued'), { secret: 'wrong' }).status).toBe(401);
    expect(s.deliver({ action: 'queued', workflow_job: {}, repository: { full_name: 'o/r' } }).status).toBe(400);
    expect(s.deliver({ action: 'queued', workflow_job: payload('queued').workflow_job }).status).toBe(400);
    expect(s.deliver({ zen: 'hi' }, { event: 'ping' })).toMatchObject({
      status: 202,
      body: { result: 'event ping ignored' },
    });
    expect(s.queued).toHaveLength(0);
  });
});
