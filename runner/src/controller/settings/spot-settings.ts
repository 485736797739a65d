/**
 * `placement.spot` and `placement.spotPriceLimit` of `.github/eci-virtual.yml` (repository defaults or `jobs.<id>`):
 *
 *   placement:
 *     spot: prefer            # prefer | never (default never): spot first, pay-as-you-go when ECI has no spot stock
 *     spotPriceLimit: 0.05    # optional: the highest hourly price in USD (ECI SpotWithPriceLimit); absent: the
 *                             # market price, capped by ECI at the pay-as-you-go price (SpotAsPriceGo)
 *
 * Parsed into the placement model, and turned into the pod annotations (contract `ANNOTATION.spot`,
 * `ANNOTATION.spotPriceLimit`) that the virtual node's eci backend maps to CreateContainerGroup's spot parameters.
 */
import {
  ANNOTATION,
  InvalidInput,
  SPOT_PREFERENCES,
  spotPriceLimitOf,
  type SpotPreference,
} from '@eci-virtual/contract';

export interface SpotPlacement {
  spot?: SpotPreference;
  spotPriceLimit?: number;
}

/** The spot keys of one placement mapping (`where` names it in errors); throws InvalidInput for a bad value. */
export function spotPlacementOf(r: Record<string, unknown>, where: string): SpotPlacement {
  const out: SpotPlacement = {};
  if (r.spot !== undefined) {
    if (!(SPOT_PREFERENCES as readonly unknown[]).includes(r.spot))
      throw new InvalidInput(`${where}.spot must be prefer or never, got ${JSON.stringify(r.spot)}`);
    out.spot = r.spot as SpotPreference;
  }
  if (r.spotPriceLimit !== undefined) {
    const limit = typeof r.spotPriceLimit === 'number' ? spotPriceLimitOf(r.spotPriceLimit) : undefined;
    if (limit === undefined)
      throw new InvalidInput(
        `${where}.spotPriceLimit must be a positive number (USD per hour), got ${JSON.stringify(r.spotPriceLimit)}`,
      );
    out.spotPriceLimit = limit;
  }
  return out;
}

/**
 * The pod annotations for a placement: spot only when it says `prefer` and the job is not a spot re-run (`noSpot`:
 * an attempt that re-runs a reclaimed job goes pay-as-you-go, so it cannot be reclaimed again).
 */
export function spotAnnotations(p: SpotPlacement, noSpot = false): Record<string, string> {
  if (p.spot !== 'prefer' || noSpot) return {};
  return {
    [ANNOTATION.spot]: 'prefer',
    ...(p.spotPriceLimit !== undefined ? { [ANNOTATION.spotPriceLimit]: String(p.spotPriceLimit) } : {}),
  };
}
