/**
 * GitHub's secondary rate limit on one endpoint, measured on what a simulation sent: "No more than 900 points per
 * minute are allowed for REST API endpoints", where "most REST API GET, HEAD, and OPTIONS requests" cost 1 point and
 * "most REST API POST, PATCH, PUT, or DELETE requests" 5 ("Rate limits for the REST API" › "About secondary rate
 * limits" and "Calculating points for the secondary rate limit",
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api). The emulator does not refuse past
 * it (the page calls the limits subject to change, and says nothing of how an endpoint is keyed); the simulation
 * reports how close it came, so a fleet figure says what GitHub.com would allow.
 */

/** The published limit per endpoint and minute. */
export const POINTS_PER_MINUTE = 900;

export interface SentRequest {
  method: string;
  path: string;
  at: number;
}

/** Method and path with ids and the query left out: `/repos/o/r/actions/runners/17` → `…/runners/{n}`. */
export function endpointOf(r: Pick<SentRequest, 'method' | 'path'>): string {
  const path = r.path.split('?')[0]!.replace(/\/\d+(?=\/|$)/g, '/{n}');
  return `${r.method.toUpperCase()} ${path}`;
}

export const pointsOf = (method: string): number => (/^(GET|HEAD|OPTIONS)$/i.test(method) ? 1 : 5);

/**
 * The busiest endpoint's most points within any 60 s window. Requests outside the REST API (the runner stand-in's
 * `/_runner/` broker, which real runners reach through the Actions service, not api.github.com) are left out.
 */
export function peakPointsPerMinute(requests: readonly SentRequest[]): { endpoint: string; points: number } {
  const byEndpoint = new Map<string, SentRequest[]>();
  for (const r of requests) {
    if (r.path.startsWith('/_runner/')) continue;
    const key = endpointOf(r);
    const list = byEndpoint.get(key) ?? [];
    list.push(r);
    byEndpoint.set(key, list);
  }
  let best = { endpoint: '', points: 0 };
  for (const [endpoint, list] of byEndpoint) {
    const sorted = [...list].sort((a, b) => a.at - b.at);
    let start = 0;
    let points = 0;
    for (const r of sorted) {
      points += pointsOf(r.method);
      while (sorted[start]!.at <= r.at - 60_000) points -= pointsOf(sorted[start++]!.method);
      if (points > best.points) best = { endpoint, points };
    }
  }
  return best;
}
