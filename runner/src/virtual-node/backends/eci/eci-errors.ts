/**
 * ECI error codes (OpenAPI 2018-08-08 responses `{RequestId, Code, Message}`) → the project's typed errors, so the
 * node can tell "retry later" from "this pod can never run here".
 */
import {
  EciVirtualError,
  Forbidden,
  InvalidInput,
  NotFound,
  Throttled,
  Unauthorized,
  Unavailable,
} from '@eci-virtual/contract';

/** The account or region is out of a resource (container groups, vCPUs, IPs): the pod fails with this reason. */
export class QuotaExceeded extends EciVirtualError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('Forbidden', message, options);
  }
}

/**
 * ECI has no capacity for what was asked (`OperationDenied.NoStock`, `RecommendEmpty.InstanceTypeNoStock`, …): for a
 * spot request, the backend may ask again pay-as-you-go (spot-fallback.ts).
 */
export class NoStock extends QuotaExceeded {}

export interface EciErrorBody {
  RequestId?: string;
  Code?: string;
  Message?: string;
}

export function mapEciError(status: number, body: EciErrorBody, action: string): Error {
  const code = body.Code ?? `HTTP${status}`;
  const message = `ECI ${action}: ${code}: ${body.Message ?? 'no message'}${body.RequestId ? ` (RequestId ${body.RequestId})` : ''}`;
  if (/^Throttling/i.test(code) || status === 429) return new Throttled(message);
  if (/NoStock/i.test(code)) return new NoStock(message, { hint: 'pick another zone or spec, or try again later' });
  if (/^(QuotaExceed|.*\.QuotaExceed|InsufficientBalance)/i.test(code))
    return new QuotaExceeded(message, { hint: 'raise the ECI quota or pick another zone/spec' });
  // Before NotFound: `InvalidAccessKeyId.NotFound` is a credentials problem, not a missing resource.
  if (
    /^(InvalidAccessKeyId|SignatureDoesNotMatch|IncompleteSignature|InvalidSecurityToken|InvalidTimeStamp|SignatureNonceUsed)/i.test(
      code,
    ) ||
    status === 401
  )
    return new Unauthorized(message, { hint: 'check the AccessKey/STS credentials and the clock (x-acs-date)' });
  if (/NotFound$|^InvalidContainerGroup\.NotFound/i.test(code) || status === 404) return new NotFound(message);
  if (/^(Forbidden|NoPermission)/i.test(code) || status === 403)
    return new Forbidden(message, { hint: 'the RAM policy lacks eci:* permissions' });
  if (/^(InvalidParameter|MissingParameter|Invalid|.*\.Invalid)/i.test(code) || status === 400)
    return new InvalidInput(message);
  if (status >= 500 || /^(InternalError|ServiceUnavailable)/i.test(code)) return new Unavailable(message);
  return new Unavailable(message);
}

/** Transient errors worth retrying with backoff. */
export const isRetryable = (err: unknown): boolean => err instanceof Throttled || err instanceof Unavailable;

/**
 * What EciBackend.createPod throws when the account is out of quota: an InvalidInput (the node does not retry it; it
 * fails the pod) carrying the `reason` the node writes into the pod's status, so the job sees why.
 */
export class PodQuotaExceeded extends InvalidInput {
  readonly reason = 'ECIQuotaExceeded';
}
