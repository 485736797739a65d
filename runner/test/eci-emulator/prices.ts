/**
 * DescribeContainerGroupPrice, written from the API reference ("DescribeContainerGroupPrice", ECI API 2018-08-08:
 * request `Cpu`, `Memory` (GiB), `InstanceType`, `SpotStrategy`, `SpotPriceLimit`, `ZoneId`, `EphemeralStorage`,
 * `SpotDuration`; answer `PriceInfo.Price` {Currency, OriginalPrice, DiscountPrice, TradePrice,
 * DetailInfos.DetailInfo[] {Resource, OriginalPrice, DiscountPrice, TradePrice}} and `PriceInfo.SpotPrices.SpotPrice[]`
 * {ZoneId, InstanceType, OriginPrice, SpotPrice}; the emulator names no instance type for a vCPU/memory query) and the SDK's response model (`@alicloud/eci20180808`
 * DescribeContainerGroupPriceResponseBodyPriceInfo…).
 *
 * Prices are per second, as in the reference's example (2 vCPU + 4 GiB in cn-hangzhou: CPU 0.000098, total
 * 0.00012252 CNY); spot prices are per hour, as `SpotPriceLimit` is ("the maximum hourly price"). A vCPU/memory pair
 * ECI does not offer is priced as the specification ECI would create and bill instead: the smallest supported one at
 * least as large ("Specify vCPU and memory to create an instance": unsupported values are rounded up to the nearest
 * supported specification and billed as adjusted).
 */
import { ApiError, invalid, missing } from './api-error.js';
import type { Params } from './params.js';

export interface PriceTable {
  currency: string;
  /** Pay-as-you-go, per vCPU-second and per GiB-second. */
  vcpuSecond: number;
  gibSecond: number;
  /** Spot market price as a share of the pay-as-you-go price (the emulator's market is flat). */
  spotRatio: number;
}

/** The reference example's cn-hangzhou unit prices: 0.000098 / 2 vCPU, (0.00012252 − 0.000098) / 4 GiB. */
export const LIST_PRICES: PriceTable = { currency: 'CNY', vcpuSecond: 0.000049, gibSecond: 0.00000613, spotRatio: 0.2 };

/** vCPU → memory sizes (GiB) offered in every region ("Specify vCPU and memory to create an instance"). */
const SPECS: [number, number[]][] = [
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

/** The cheapest offered specification with at least `cpu` vCPUs and `memory` GiB, or undefined when none is. */
export function offeredSpec(
  cpu: number,
  memory: number,
  prices: PriceTable,
): { cpu: number; memory: number } | undefined {
  const fits = SPECS.flatMap(([c, mems]) => mems.map((m) => ({ cpu: c, memory: m }))).filter(
    (s) => s.cpu >= cpu && s.memory >= memory,
  );
  const cost = (s: { cpu: number; memory: number }) => s.cpu * prices.vcpuSecond + s.memory * prices.gibSecond;
  return fits.sort((a, b) => cost(a) - cost(b))[0];
}

const round8 = (n: number) => Math.round(n * 1e8) / 1e8;
const SPOT = ['NoSpot', 'SpotAsPriceGo', 'SpotWithPriceLimit'];

export function describeContainerGroupPrice(p: Params, prices: PriceTable, zone: string): Record<string, unknown> {
  p.required('RegionId');
  if (p.str('InstanceType'))
    throw new ApiError(400, 'InvalidParameter.InstanceType', 'the emulator prices vCPU and memory specifications only');
  const cpuText = p.str('Cpu');
  const memText = p.str('Memory');
  if (cpuText === undefined) throw missing('Cpu');
  if (memText === undefined) throw missing('Memory');
  const cpu = Number(cpuText);
  const memory = Number(memText);
  if (!(cpu > 0)) throw invalid('Cpu', 'must be a positive number of vCPUs');
  if (!(memory > 0)) throw invalid('Memory', 'must be a positive size in GiB');
  const strategy = p.str('SpotStrategy') ?? 'NoSpot';
  if (!SPOT.includes(strategy)) throw invalid('SpotStrategy', `must be one of ${SPOT.join(', ')}`);
  if (strategy === 'SpotWithPriceLimit' && p.str('SpotPriceLimit') === undefined) throw missing('SpotPriceLimit');
  const spec = offeredSpec(cpu, memory, prices);
  if (!spec)
    throw new ApiError(400, 'InvalidParameter.Spec', `no ECI specification offers ${cpu} vCPU with ${memory} GiB`);
  const cpuPrice = round8(spec.cpu * prices.vcpuSecond);
  const memPrice = round8(spec.memory * prices.gibSecond);
  const total = round8(cpuPrice + memPrice);
  const detail = (Resource: string, price: number) => ({
    Resource,
    OriginalPrice: price,
    DiscountPrice: 0,
    TradePrice: price,
    Rules: { Rule: [] },
  });
  const hourly = Math.round(total * 3600 * 1000) / 1000;
  return {
    PriceInfo: {
      Price: {
        Currency: prices.currency,
        OriginalPrice: total,
        DiscountPrice: 0,
        TradePrice: total,
        DetailInfos: { DetailInfo: [detail('CPU', cpuPrice), detail('Memory', memPrice)] },
      },
      Rules: { Rule: [] },
      SpotPrices: {
        SpotPrice:
          strategy === 'NoSpot'
            ? []
            : [
                {
                  ZoneId: p.str('ZoneId') ?? zone,
                  OriginPrice: hourly,
                  SpotPrice: Math.round(hourly * prices.spotRatio * 1000) / 1000,
                },
              ],
      },
    },
  };
}
