/**
 * `POST /webhook`: verifies `X-Hub-Signature-256` over the raw body (401 otherwise, nothing else is read), dedupes
 * by `X-GitHub-Delivery`, and hands the `workflow_job` events the controller acts on (`queued`, `completed`) to the
 * intake, which keeps them durably for the leading replica (delivery-inbox.ts) before the 202; when it cannot, the
 * answer is 503 and GitHub records a failed delivery (the poller still finds queued jobs). Other events are
 * acknowledged and dropped (`ping` included). Responds fast: the pod is created asynchronously after the 202.
 *
 * A hook may deliver JSON or `application/x-www-form-urlencoded` with the JSON in the `payload` field ("Creating
 * webhooks", https://docs.github.com/webhooks/using-webhooks/creating-webhooks); the signature covers the raw body
 * either way. Only a job that is really `queued` starts a runner: GitHub sends `workflow_job` with action `waiting`
 * for a job held by an environment's protection rules, and its `queued` payload allows the job `status` `waiting`
 * too (schema `webhook-workflow-job-queued` in GitHub's webhook description) — such a job gets its runner when a
 * `queued` delivery (or the poller) shows it queued after approval.
 */
import { InvalidInput } from '@eci-virtual/contract';
import type { Logger } from '../../observability/logger.js';
import { verifyWebhookSignature } from '../github/webhook-signature.js';
import { createHash } from 'node:crypto';
import { parseWorkflowJob, REPO_PATTERN, type WorkflowJob } from '../github/workflow-job.js';
import type { ControllerMetrics } from '../metrics.js';
import { DeliveryCache } from './delivery-cache.js';
import type { AcceptedDelivery } from './delivery-inbox.js';

interface WebhookPayload {
  action?: unknown;
  workflow_job?: unknown;
  repository?: { full_name?: unknown };
}

export interface WebhookResult {
  status: number;
  body: Record<string, unknown>;
}

/** Where accepted deliveries go: kept for the leading replica (controller/replica.ts). */
export interface DeliveryIntake {
  /** `duplicate` when this delivery was taken before (by any replica); rejects when it cannot be kept. */
  accept(d: AcceptedDelivery): Promise<'accepted' | 'duplicate'>;
  /**
   * A runner took the job (`in_progress` names it): which job each runner really runs (issue #18). Best effort and
   * in memory — the controller falls back to the REST API when this is late or lost.
   */
  onInProgress?(job: WorkflowJob): void;
}

export class WebhookHandler {
  private readonly deliveries = new DeliveryCache();

  constructor(
    private readonly secret: string,
    private readonly intake: DeliveryIntake,
    private readonly log: Logger,
    private readonly metrics: ControllerMetrics,
  ) {}

  async handle(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<WebhookResult> {
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
    const duplicate = (): WebhookResult => {
      this.metrics.webhooks.inc({ event, outcome: 'duplicate' });
      return { status: 200, body: { result: 'duplicate delivery ignored' } };
    };
    if (delivery && this.deliveries.seen(delivery)) return duplicate();
    if (event !== 'workflow_job') {
      this.metrics.webhooks.inc({ event, outcome: 'ignored' });
      return { status: 202, body: { result: `event ${event} ignored` } };
    }
    let payload: WebhookPayload;
    let job: WorkflowJob;
    try {
      payload = parsePayload(payloadText(header('content-type'), body));
      const repo = payload.repository?.full_name;
      if (typeof repo !== 'string' || !REPO_PATTERN.test(repo))
        throw new InvalidInput('repository.full_name must be owner/name');
      job = parseWorkflowJob(payload.workflow_job, repo);
    } catch (err) {
      this.metrics.webhooks.inc({ event, outcome: 'invalid' });
      return { status: 400, body: { error: { code: 'invalid_input', message: (err as Error).message } } };
    }
    const log = this.log.child({ job: job.id, repo: job.repo, delivery });
    const actionName = typeof payload.action === 'string' ? payload.action : '';
    const action =
      payload.action === 'queued' && job.status === 'queued'
        ? 'queued'
        : payload.action === 'completed'
          ? 'completed'
          : undefined;
    if (!action) {
      this.metrics.webhooks.inc({ event: `${event}.${actionName}`, outcome: 'accepted' });
      if (payload.action === 'in_progress') this.intake.onInProgress?.(job);
      if (payload.action === 'queued' || payload.action === 'waiting') {
        log.debug('job not queued (waiting for approval); no runner until it is', { status: job.status });
        return { status: 202, body: { result: `job ${job.status}; not launched` } };
      }
      return { status: 202, body: { result: 'accepted' } };
    }
    // GitHub always names a delivery; a sender that does not gets its body's hash (identical bodies are one).
    const id = delivery ?? createHash('sha256').update(body).digest('hex');
    let taken: 'accepted' | 'duplicate';
    try {
      taken = await this.intake.accept({ id, action, job });
    } catch (err) {
      this.metrics.webhooks.inc({ event: `${event}.${action}`, outcome: 'unavailable' });
      log.error('webhook delivery could not be kept; answering 503', { err: (err as Error).message });
      return {
        status: 503,
        body: { error: { code: 'unavailable', message: 'cannot store the delivery now; redeliver it later' } },
      };
    }
    this.deliveries.remember(id);
    if (taken === 'duplicate') return duplicate();
    this.metrics.webhooks.inc({ event: `${event}.${action}`, outcome: 'accepted' });
    return { status: 202, body: { result: 'accepted' } };
  }
}

/** The JSON text of a delivery: the body itself, or the `payload` field of a form-encoded one. */
function payloadText(contentType: string | undefined, body: Buffer): string {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return body.toString('utf8');
  const payload = new URLSearchParams(body.toString('utf8')).get('payload');
  if (payload === null) throw new InvalidInput('form-encoded delivery without a payload field');
  return payload;
}

/** The delivery's JSON object; anything else is refused with what is wrong. */
function parsePayload(text: string): WebhookPayload {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInput(`payload is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidInput('payload must be a JSON object');
  const p = value as WebhookPayload;
  if (p.repository !== undefined && (typeof p.repository !== 'object' || p.repository === null))
    throw new InvalidInput('repository.full_name must be owner/name');
  return p;
}
