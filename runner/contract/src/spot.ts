/**
 * Spot first, safely: what the controller, the virtual node's backends and the portal agree on about preemptible
 * capacity. The controller asks for spot with `ANNOTATION.spot` (`prefer`) and `ANNOTATION.spotPriceLimit` on the job
 * pod; a backend that had to fall back to pay-as-you-go says so with a `SpotFallback` event on the pod; ECI announces
 * a reclaim with `SpotToBeReleased` (copied to the pod's events) and the virtual node then fails the pod with reason
 * `SpotReclaimed`. The controller re-runs a reclaimed job once (`SpotRerun` on its record).
 */

/** `placement.spot` in `.github/eci-virtual.yml`. */
export const SPOT_PREFERENCES = ['prefer', 'never'] as const;
export type SpotPreference = (typeof SPOT_PREFERENCES)[number];

/** Event reasons about spot capacity, on pods and in job records. */
export const SPOT_REASON = {
  /** The backend asked for spot, had none, and created the pod's group pay-as-you-go instead. */
  fallback: 'SpotFallback',
  /** ECI's reclaim notice on a spot group (Alibaba's custom events of ECI: `SpotToBeReleased`). */
  notice: 'SpotToBeReleased',
  /** The pod's status reason once its spot group was reclaimed (virtual node, eci backend). */
  reclaimed: 'SpotReclaimed',
  /** The controller re-ran the job after its spot pod was reclaimed. */
  rerun: 'SpotRerun',
} as const;

/** Parses an hourly price cap as written in settings and annotations: a positive finite number, else undefined. */
export function spotPriceLimitOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
