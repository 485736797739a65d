/**
 * Oversized pod annotations from the webhook door (issue #19, runner/docs/bad-input.md): a signed delivery just
 * under the 1 MB body limit whose job name, workflow name and html_url are huge still gives a runner pod that
 * Kubernetes accepts (annotations ≤ 256 KiB, k8s.io/apimachinery objectmeta.go TotalAnnotationSizeLimitB).
 */
import { describe, expect, it } from '@jest/globals';
import { ANNOTATION } from '@eci-virtual/contract';
import { createLogger } from '../observability/logger.js';
import { parseControllerConfig } from './config.js';
import { signWebhookBody } from './github/webhook-signature.js';
import type { AcceptedDelivery } from './intake/delivery-inbox.js';
import { WebhookHandler } from './intake/webhook-handler.js';
import { buildRunnerPod } from './jobs/runner-pod.js';
import { createControllerMetrics } from './metrics.js';

const config = parseControllerConfig(
  { scope: { repositories: ['o/r'] }, runner: { image: 'runner:1', hooksImage: 'hooks:1' }, namespace: 'ci' },
  { GITHUB_TOKEN: 'ghp_x', ECI_VIRTUAL_WEBHOOK_SECRET: 'w' },
);

describe('a delivery with huge names', () => {
  it('still gives a runner pod whose annotations Kubernetes accepts', async () => {
    const taken: AcceptedDelivery[] = [];
    const handler = new WebhookHandler(
      'w',
      { accept: async (d) => (taken.push(d), 'accepted') },
      createLogger({}, { level: 'error', write: () => undefined }),
      createControllerMetrics(),
    );
    const body = Buffer.from(
      JSON.stringify({
        action: 'queued',
        repository: { full_name: 'o/r' },
        workflow_job: {
          id: 1,
          run_id: 2,
          name: 'n'.repeat(300_000),
          workflow_name: 'w'.repeat(300_000),
          html_url: `https://github.com/${'u'.repeat(300_000)}`,
          head_sha: 'abc',
          labels: ['eci-virtual'],
          status: 'queued',
        },
      }),
    );
    expect(body.length).toBeLessThan(1024 * 1024);
    const r = await handler.handle(
      {
        'x-github-event': 'workflow_job',
        'x-github-delivery': 'd1',
        'x-hub-signature-256': signWebhookBody('w', body),
      },
      body,
    );
    expect(r.status).toBe(202);
    const pod = buildRunnerPod({
      job: taken[0]!.job,
      plan: { jobKey: 'n', services: [], stepImages: [] },
      config,
      placement: { nodeType: 'virtual', cpu: '1', memory: '1Gi', nodeSelector: {}, annotations: {} },
      runnerId: 3,
    });
    const annotations = pod.metadata!.annotations!;
    const size = Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    expect(size).toBeLessThanOrEqual(256 * 1024);
    expect(annotations[ANNOTATION.htmlUrl]).toBe('https://github.com/o/r/actions/runs/2/job/1');
  });
});
