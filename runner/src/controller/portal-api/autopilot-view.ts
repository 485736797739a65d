/** The autopilot's decision log → `GET /v1/image-cache/autopilot` (wire type: AutopilotResponse of the contract). */
import type { AutopilotDecision, AutopilotResponse } from '@eci-virtual/contract';
import type { AutopilotConfig } from '../image-cache-autopilot/autopilot-config.js';
import type { LoggedDecision } from '../image-cache-autopilot/decision-log.js';

/** The most decisions one answer carries (the newest). */
export const MAX_DECISIONS = 200;
const MAX = MAX_DECISIONS;

const iso = (ms: number) => new Date(ms).toISOString();

export function toAutopilotDecision(d: LoggedDecision): AutopilotDecision {
  return {
    at: iso(d.at),
    pass: d.pass,
    action: d.action,
    outcome: d.outcome,
    reason: d.reason,
    name: d.name,
    images: d.images,
    ...(d.setId ? { setId: d.setId } : {}),
    ...(d.createdId ? { createdId: d.createdId } : {}),
    ...(d.weight !== undefined ? { weight: Math.round(d.weight * 10) / 10 } : {}),
    ...(d.uses !== undefined ? { uses: d.uses } : {}),
    ...(d.error ? { error: d.error } : {}),
    ...(d.lastAt !== undefined ? { lastAt: iso(d.lastAt) } : {}),
    ...(d.repeats ? { repeats: d.repeats } : {}),
  };
}

/** `newestFirst`: the repository's decisions (decision-store.ts, or the in-memory log reversed). */
export function autopilotView(
  repo: string,
  config: AutopilotConfig,
  newestFirst: readonly LoggedDecision[],
  leader: boolean,
  now = Date.now(),
): AutopilotResponse {
  const decisions = newestFirst.slice(0, MAX).map(toAutopilotDecision);
  return {
    repo,
    generatedAt: iso(now),
    enabled: config.enabled,
    ...(config.enabled
      ? {
          backend: config.backend,
          intervalSeconds: config.intervalMs / 1000,
          budget: { maxSets: config.budget.maxSets, maxTotalGiB: config.budget.maxTotalGiB },
        }
      : {}),
    leader,
    decisions,
  };
}
