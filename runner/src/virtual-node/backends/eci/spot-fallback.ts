/**
 * Spot first, safely: when ECI refuses a spot group for lack of capacity, the same pod's group is asked for again at
 * once, pay-as-you-go — only for pods that asked for spot with `spot: prefer` (contract `ANNOTATION.spot`); a pod that
 * set ACK's `k8s.aliyun.com/eci-spot-strategy` itself asked for spot only and fails as before.
 *
 * "No stock" is ECI's `OperationDenied.NoStock` answer to CreateContainerGroup ("the ECI of the current region and
 * zone is sold out", Alibaba Cloud developer Q&A "如何避免 OperationDenied.NoStock", developer.aliyun.com/ask/274162),
 * and the `RecommendEmpty.InstanceTypeNoStock` family (instance types out of stock); eci-errors.ts maps every
 * `*NoStock` code to `NoStock`.
 */
import { ANNOTATION } from '@eci-virtual/contract';
import type { ParamValue } from './eci-client.js';
import { NoStock } from './eci-errors.js';

const SPOT_KEYS = ['SpotStrategy', 'SpotPriceLimit', 'SpotDuration'] as const;

/** Whether `err`, the answer to `request` for a pod with `annotations`, calls for the pay-as-you-go retry. */
export function shouldFallBack(
  err: unknown,
  request: Record<string, ParamValue>,
  annotations: Record<string, string>,
): boolean {
  const askedSpot = request.SpotStrategy !== undefined && request.SpotStrategy !== 'NoSpot';
  return err instanceof NoStock && askedSpot && annotations[ANNOTATION.spot] === 'prefer';
}

/**
 * The same group pay-as-you-go: no spot parameters (ECI's default is `NoSpot`), and a ClientToken of its own — the
 * spot request's token belongs to a request ECI refused, and a retry must not be taken for a replay of it.
 */
export function payAsYouGoRequest(request: Record<string, ParamValue>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = { ...request };
  for (const k of SPOT_KEYS) delete out[k];
  if (typeof request.ClientToken === 'string') out.ClientToken = `${request.ClientToken}-payg`;
  return out;
}
