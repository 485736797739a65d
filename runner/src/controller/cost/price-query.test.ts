/**
 * The price model against the ECI emulator's DescribeContainerGroupPrice (written independently from the API
 * reference): the unit prices queried from it, put through the model, give the fee the emulator quotes for each
 * specification × duration.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clientFor, startEmulator } from '../../../test/eci-emulator/fixtures.js';
import type { EciEmulator } from '../../../test/eci-emulator/server.js';
import { groupCost } from './eci-price-model.js';
import { queryUnitPrices } from './price-query.js';

let emu: EciEmulator;
let client: ReturnType<typeof clientFor>;
const call = (action: string, params: Record<string, string | number>) => client.call(action, params);

beforeAll(async () => {
  ({ emu } = await startEmulator());
  client = clientFor(emu);
});
afterAll(() => emu.stop());

interface Quote {
  PriceInfo: { Price: { TradePrice: number }; SpotPrices: { SpotPrice: { SpotPrice: number }[] } };
}

describe('price model vs DescribeContainerGroupPrice', () => {
  it('queries the unit prices', async () => {
    const prices = await queryUnitPrices(call);
    expect(prices.currency).toBe('CNY');
    expect(prices.vcpuSecond).toBeCloseTo(0.000049, 10);
    expect(prices.gibSecond).toBeCloseTo(0.00000613, 10);
  });

  it.each([
    [2, 4, 3600],
    [1, 2, 61],
    [0.25, 0.5, 17],
    [1.5, 3, 600], // rounded up to 2 vCPU / 4 GiB by both
    [7, 13, 900], // rounded up to 8 / 16
    [64, 512, 30],
  ])('%p vCPU / %p GiB for %p s costs what the emulator quotes', async (cpu, memoryGiB, seconds) => {
    const prices = await queryUnitPrices(call);
    const quote = await client.call<Quote>('DescribeContainerGroupPrice', { Cpu: cpu, Memory: memoryGiB });
    const model = groupCost({ cpu, memoryGiB, billingStartMs: 0, endMs: seconds * 1000 }, prices)!;
    // The quote is a per-second price to 8 decimals: it may be off by half of 1e-8 per line (CPU, Memory) a second.
    expect(Math.abs(model.amount - quote.PriceInfo.Price.TradePrice * seconds)).toBeLessThanOrEqual(
      seconds * 1e-8 + 1e-8,
    );
  });

  it('agrees on spot: the hourly market price quoted × hours', async () => {
    const prices = await queryUnitPrices(call);
    const quote = await client.call<Quote>('DescribeContainerGroupPrice', {
      Cpu: 2,
      Memory: 4,
      SpotStrategy: 'SpotAsPriceGo',
    });
    const hourly = quote.PriceInfo.SpotPrices.SpotPrice[0]!.SpotPrice;
    const byQuote = groupCost(
      { cpu: 2, memoryGiB: 4, billingStartMs: 0, endMs: 3_600_000, spot: { hourlyPrice: hourly } },
      prices,
    )!;
    const byShare = groupCost({ cpu: 2, memoryGiB: 4, billingStartMs: 0, endMs: 3_600_000, spot: {} }, prices)!;
    expect(byQuote.amount).toBeCloseTo(hourly, 6);
    expect(byShare.amount).toBeCloseTo(hourly, 2);
  });
});
