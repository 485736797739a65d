/**
 * Unit prices as ECI quotes them: DescribeContainerGroupPrice (ECI API 2018-08-08) for a 2 vCPU / 4 GiB group (an
 * offered specification), split by its `PriceInfo.Price.DetailInfos.DetailInfo[]` lines (`Resource` CPU and Memory;
 * per-second prices). The call goes through whatever ECI client the caller has (the controller does not hold one).
 */
import { InvalidInput } from '@eci-virtual/contract';
import type { UnitPrices } from './eci-price-model.js';

export type EciCall = (action: string, params: Record<string, string | number>) => Promise<unknown>;

interface PriceAnswer {
  PriceInfo?: {
    Price?: {
      Currency?: string;
      TradePrice?: number;
      DetailInfos?: { DetailInfo?: { Resource?: string; TradePrice?: number }[] };
    };
    SpotPrices?: { SpotPrice?: { SpotPrice?: number; OriginPrice?: number }[] };
  };
}

const PROBE = { cpu: 2, memoryGiB: 4 };

export async function queryUnitPrices(call: EciCall, opts: { zoneId?: string } = {}): Promise<UnitPrices> {
  const params = { Cpu: PROBE.cpu, Memory: PROBE.memoryGiB, ...(opts.zoneId ? { ZoneId: opts.zoneId } : {}) };
  const payg = (await call('DescribeContainerGroupPrice', params)) as PriceAnswer;
  const price = payg.PriceInfo?.Price;
  const line = (name: string) =>
    price?.DetailInfos?.DetailInfo?.find((d) => d.Resource?.toLowerCase() === name.toLowerCase())?.TradePrice;
  const cpu = line('CPU');
  const memory = line('Memory');
  if (cpu === undefined || memory === undefined || !price?.Currency)
    throw new InvalidInput('DescribeContainerGroupPrice answered without CPU and Memory price lines', {
      hint: 'configure prices in the controller config instead',
    });
  const spot = (await call('DescribeContainerGroupPrice', { ...params, SpotStrategy: 'SpotAsPriceGo' })) as PriceAnswer;
  const quote = spot.PriceInfo?.SpotPrices?.SpotPrice?.[0];
  return {
    currency: price.Currency,
    vcpuSecond: cpu / PROBE.cpu,
    gibSecond: memory / PROBE.memoryGiB,
    ...(quote?.SpotPrice !== undefined && quote.OriginPrice ? { spotRatio: quote.SpotPrice / quote.OriginPrice } : {}),
  };
}
