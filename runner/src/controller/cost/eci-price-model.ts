/**
 * What ECI bills for one container group, as its billing rules state them (pure; no I/O):
 *
 * - Fee = (vCPUs × vCPU unit price + GiB × memory unit price) × billing duration ("Billing of elastic container
 *   instances", alibabacloud.com/help/en/eci/product-overview/elastic-containers-instances — the vCPU/memory mode).
 * - Billed per second, the per-second price being the hourly price / 3,600 ("Billing overview",
 *   alibabacloud.com/help/en/eci/product-overview/billing-overview); a part second is counted as a whole one here.
 * - The duration starts when the images start to be pulled and ends when the group is Succeeded or Failed
 *   ("Billing methods", alibabacloud.com/help/doc-detail/89142.htm; FAQ alibabacloud.com/help/faq-detail/131767.htm).
 * - A vCPU/memory pair ECI does not offer is rounded up to the nearest offered specification and billed as that
 *   ("Specify vCPU and memory to create an instance"); the table below is the one offered in every region.
 * - Spot (preemptible) groups are billed at the spot market price, an hourly price per instance
 *   (DescribeContainerGroupPrice `SpotPrices.SpotPrice[].SpotPrice`; `SpotPriceLimit` is "the maximum hourly price").
 */

export interface UnitPrices {
  /** What the amounts are in (CNY on the China site, USD on the international one). */
  currency: string;
  /** Pay-as-you-go price of one vCPU for one second. */
  vcpuSecond: number;
  /** Pay-as-you-go price of one GiB of memory for one second. */
  gibSecond: number;
  /** Spot price as a share of pay-as-you-go, when no hourly spot price of the group is known (default 1). */
  spotRatio?: number;
}

export interface EciSpec {
  cpu: number;
  memoryGiB: number;
}

/** vCPU → memory sizes (GiB) ECI offers in every region ("Specify vCPU and memory to create an instance"). */
const OFFERED: readonly (readonly [number, readonly number[]])[] = [
  [0.25, [0.5, 1]],
  [0.5, [1, 2]],
  [1, [2, 4, 8]],
  [2, [1, 2, 4, 8, 16]],
  [4, [2, 4, 8, 16, 32]],
  [8, [4, 8, 16, 32, 64]],
  [12, [12, 24, 48, 96]],
  [16, [16, 32, 64, 128]],
  [24, [24, 48, 96, 192]],
  [32, [32, 64, 128, 256]],
  [52, [96, 192, 384]],
  [64, [128, 256, 512]],
];

/**
 * The specification ECI creates (and bills) for a request: the cheapest offered one with at least the vCPUs and the
 * memory asked for; undefined when the request is larger than any. ECI's default is 2 vCPU / 4 GiB.
 */
export function billedSpec(cpu: number, memoryGiB: number, prices: UnitPrices): EciSpec | undefined {
  const price = (s: EciSpec) => s.cpu * prices.vcpuSecond + s.memoryGiB * prices.gibSecond;
  let best: EciSpec | undefined;
  for (const [c, sizes] of OFFERED)
    for (const m of sizes)
      if (c >= cpu && m >= memoryGiB && (!best || price({ cpu: c, memoryGiB: m }) < price(best)))
        best = { cpu: c, memoryGiB: m };
  return best;
}

/** Whole seconds from `startMs` to `endMs` (a part second counts as one); 0 when the end is not after the start. */
export function billedSeconds(startMs: number, endMs: number): number {
  return endMs > startMs ? Math.ceil((endMs - startMs) / 1000 - 1e-9) : 0;
}

export interface CostInput {
  /** What the pod asked for (its containers' sum), vCPUs and GiB. */
  cpu: number;
  memoryGiB: number;
  /** When billing starts: the group's first image pull (ms since epoch). */
  billingStartMs: number;
  /** When the group ended (Succeeded/Failed), or now for a group still running. */
  endMs: number;
  /** A spot group; `hourlyPrice` is its market price per hour when known. */
  spot?: { hourlyPrice?: number };
}

export interface JobCost {
  currency: string;
  spec: EciSpec;
  billedSeconds: number;
  vcpuSeconds: number;
  gibSeconds: number;
  spot: boolean;
  amount: number;
}

/** The fee of one group; undefined when no offered specification fits the request. */
export function groupCost(input: CostInput, prices: UnitPrices): JobCost | undefined {
  const spec = billedSpec(input.cpu, input.memoryGiB, prices);
  if (!spec) return undefined;
  const seconds = billedSeconds(input.billingStartMs, input.endMs);
  const vcpuSeconds = spec.cpu * seconds;
  const gibSeconds = spec.memoryGiB * seconds;
  const payg = vcpuSeconds * prices.vcpuSecond + gibSeconds * prices.gibSecond;
  const amount = !input.spot
    ? payg
    : input.spot.hourlyPrice !== undefined
      ? (input.spot.hourlyPrice * seconds) / 3600
      : payg * (prices.spotRatio ?? 1);
  return {
    currency: prices.currency,
    spec,
    billedSeconds: seconds,
    vcpuSeconds,
    gibSeconds,
    spot: input.spot !== undefined,
    amount: roundMoney(amount),
  };
}

/** Amounts are kept to 1e-8 (the precision of the API's per-second prices). */
export const roundMoney = (n: number): number => Math.round(n * 1e8) / 1e8;
