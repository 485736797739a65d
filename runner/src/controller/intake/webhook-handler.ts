/**
 * `POST /webhook`: verifies `X-Hub-Signature-256` over the raw body (401 otherwise, nothing else is read), dedupes
 * by `X-GitHub-Delivery`, and hands `workflow_job` events to the controller. Other events are acknowledged and
 * dropped (`ping` included). Responds fast: the pod is created asynchronously after the 202.
 *
 * A hook may deliver JSON or `application/x-www-form-urlencoded` with the JSON in the `payload` field ("Creating
 * webhooks", https://docs.github.com/webhooks/using-webhooks/creating-webhooks); the signature covers the raw body
 * either way. Only a job that is really `queued` starts a runner: GitHub sends `workflow_job` with action `waiting`
 * for a job held by an environment's protection rules, and its `queued` payload allows the job `status` `waiting`
 * too (schema `webhook-workflow-job-queued` in GitHub's webhook description) — such a job gets its runner when a
 * `queued` delivery (or the poller) shows it queued after approval.
 */
import type { Logger } from '../../observability/logger.js';
import { verifyWebhookSignature } from '../github/webhook-signature.js';
import { parseWorkflowJob, REPO_PATTERN, type WorkflowJob } from '../github/workflow-job.js';
import type { ControllerMetrics } from '../metrics.js';
import { DeliveryCache } from './delivery-cache.js';

export interface WebhookResult {
  status: number;
  body: Record<string, unknown>;
}

export interface WebhookTarget {
  onQueued(job: WorkflowJob, source: 'webhook'): Promise<unknown>;
  onCompleted(job: WorkflowJob): Promise<void>;
  /** A runner took the job (`in_progress` names it): which job each runner really runs (issue #18). */
  onInProgress?(job: WorkflowJob): void;
}

export class WebhookHandler {
  private readonly deliveries = new DeliveryCache();

  constructor(
    private readonly secret: string,
    private readonly target: WebhookTarget,
    private readonly log: Logger,
    private readonly metrics: ControllerMetrics,
  ) {}

  handle(headers: Record<string, string | string[] | undefined>, body: Buffer): WebhookResult {
    const header = (n: string) => {
      const v = headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const event = header('x-github-event') ?? 'unknown';
    if (!verifyWebhookSignature(this.secret, body, header('x-hub-signature-256'))) {
      this.metrics.webhooks.inc({ event, outcome: 'bad_signature' });
      this.log.warn('webhook rejected: bad or missing signature', { event, delivery: header('x-github-delivery') });
      return { status: 401, body: { error: { code: 'unauthorized', message: 'invalid X-Hub-Signature-256' } } };
    }
    const delivery = header('x-github-delivery');
    if (delivery && !this.deliveries.firstTime(delivery)) {
      this.metrics.webhooks.inc({ event, outcome: 'duplicate' });
      return { status: 200, body: { result: 'duplicate delivery ignored' } };
    }
    if (event !== 'workflow_job') {
      this.metrics.webhooks.inc({ event, outcome: 'ignored' });
      return { status: 202, body: { result: `event ${event} ignored` } };
    }
    let payload: { action?: string; workflow_job?: unknown; repository?: { full_name?: string } };
    let job: WorkflowJob;
    try {
      payload = JSON.parse(payloadText(header('content-type'), body)) as typeof payload;
      const repo = payload.repository?.full_name ?? '';
      if (!REPO_PATTERN.test(repo)) throw new Error('repository.full_name missing');
      job = parseWorkflowJob(payload.workflow_job, repo);
    } catch (err) {
      this.metrics.webhooks.inc({ event, outcome: 'invalid' });
      return { status: 400, body: { error: { code: 'invalid_input', message: (err as Error).message } } };
    }
    this.metrics.webhooks.inc({ event: `${event}.${payload.action ?? ''}`, outcome: 'accepted' });
    const log = this.log.child({ job: job.id, repo: job.repo, delivery });
    const done = (p: Promise<unknown>) =>
      p.catch((err) => log.error('webhook processing failed', { err: (err as Error).message }));
    if (payload.action === 'queued' && job.status === 'queued') void done(this.target.onQueued(job, 'webhook'));
    else if (payload.action === 'queued' || payload.action === 'waiting') {
      log.debug('job not queued (waiting for approval); no runner until it is', { status: job.status });
      return { status: 202, body: { result: `job ${job.status}; not launched` } };
    } else if (payload.action === 'completed') void done(this.target.onCompleted(job));
    else if (payload.action === 'in_progress') this.target.onInProgress?.(job);
    return { status: 202, body: { result: 'accepted' } };
  }
}

/** The JSON text of a delivery: the body itself, or the `payload` field of a form-encoded one. */
function payloadText(contentType: string | undefined, body: Buffer): string {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return body.toString('utf8');
  const payload = new URLSearchParams(body.toString('utf8')).get('payload');
  if (payload === null) throw new Error('form-encoded delivery without a payload field');
  return payload;
}
