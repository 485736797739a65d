/**
 * The runner pod's token for `/v1/workloads`: HMAC-SHA256 over the pod's namespace and name with the controller's
 * workload key. Stateless — any controller replica checks it without a lookup — and bound to one pod: a job that
 * reads its own token can ask only for its own runner pod's workload. The key is configured
 * (`ECI_VIRTUAL_WORKLOAD_KEY`) or derived from the webhook secret with a domain-separation label, so the webhook
 * secret itself never signs anything but webhooks.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WORKLOAD_KEY_LABEL, workloadTokenSubject } from '@eci-virtual/contract';

/** The key of this controller's config: its own (`workloads.key`), else derived from the webhook secret. */
export function workloadKey(config: { webhookSecret: string; workloads: { key?: string } }): Buffer {
  return config.workloads.key ? Buffer.from(config.workloads.key, 'utf8') : deriveWorkloadKey(config.webhookSecret);
}

export function deriveWorkloadKey(webhookSecret: string): Buffer {
  return createHmac('sha256', webhookSecret).update(WORKLOAD_KEY_LABEL).digest();
}

export function workloadToken(key: Buffer, namespace: string, pod: string): string {
  return createHmac('sha256', key).update(workloadTokenSubject(namespace, pod)).digest('hex');
}

/** Whether `authorization` (`Bearer <token>`) holds the token of `pod`; constant-time. */
export function verifyWorkloadToken(
  key: Buffer,
  namespace: string,
  pod: string,
  authorization: string | undefined,
): boolean {
  const given = /^Bearer ([0-9a-f]{64})$/.exec(authorization ?? '')?.[1];
  if (!given) return false;
  const want = Buffer.from(workloadToken(key, namespace, pod), 'hex');
  return timingSafeEqual(Buffer.from(given, 'hex'), want);
}
