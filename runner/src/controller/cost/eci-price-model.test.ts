import { describe, expect, it } from '@jest/globals';
import { billedSeconds, billedSpec, groupCost, type UnitPrices } from './eci-price-model.js';

// The API reference example's cn-hangzhou prices: CPU 0.000098 for 2 vCPU → 0.000049 per vCPU-second;
// total 0.00012252 for 2 vCPU + 4 GiB → (0.00012252 − 0.000098) / 4 = 0.00000613 per GiB-second.
const CNY: UnitPrices = { currency: 'CNY', vcpuSecond: 0.000049, gibSecond: 0.00000613, spotRatio: 0.2 };
const T0 = Date.parse('2026-03-02T10:00:00.000Z');

describe('ECI price model', () => {
  it('bills an offered specification as asked', () => {
    expect(billedSpec(2, 4, CNY)).toEqual({ cpu: 2, memoryGiB: 4 });
    expect(billedSpec(0.25, 0.5, CNY)).toEqual({ cpu: 0.25, memoryGiB: 0.5 });
  });

  it('rounds an unoffered request up to the nearest offered specification', () => {
    // 1.5 vCPU / 3 GiB: 2 vCPU offers 4 GiB (cheapest ≥ 3 GiB); 4 vCPU would cost more.
    expect(billedSpec(1.5, 3, CNY)).toEqual({ cpu: 2, memoryGiB: 4 });
    // 7 vCPU / 13 GiB → 8 vCPU / 16 GiB (the all-regions table; the reference's own example of rounding up).
    expect(billedSpec(7, 13, CNY)).toEqual({ cpu: 8, memoryGiB: 16 });
    // 1 vCPU / 10 GiB: 1 vCPU offers at most 8 GiB; 2 vCPU offers 16 GiB.
    expect(billedSpec(1, 10, CNY)).toEqual({ cpu: 2, memoryGiB: 16 });
    expect(billedSpec(65, 1, CNY)).toBeUndefined();
  });

  it('counts whole seconds, a part second as one', () => {
    expect(billedSeconds(T0, T0 + 100_000)).toBe(100);
    expect(billedSeconds(T0, T0 + 100_001)).toBe(101);
    expect(billedSeconds(T0, T0 + 999)).toBe(1);
    expect(billedSeconds(T0, T0)).toBe(0);
    expect(billedSeconds(T0, T0 - 5)).toBe(0);
  });

  it('prices a pay-as-you-go group: (vCPU × price + GiB × price) × seconds', () => {
    // 2 vCPU, 4 GiB, 10 min 0.4 s → 601 s.
    // 2 × 601 = 1202 vCPU-s × 0.000049 = 0.058898; 4 × 601 = 2404 GiB-s × 0.00000613 = 0.01473652
    // total 0.07363452 CNY
    const c = groupCost({ cpu: 2, memoryGiB: 4, billingStartMs: T0, endMs: T0 + 600_400 }, CNY)!;
    expect(c).toEqual({
      currency: 'CNY',
      spec: { cpu: 2, memoryGiB: 4 },
      billedSeconds: 601,
      vcpuSeconds: 1202,
      gibSeconds: 2404,
      spot: false,
      amount: 0.07363452,
    });
  });

  it('prices the adjusted specification, not the request', () => {
    // 1.5 vCPU / 3 GiB billed as 2 vCPU / 4 GiB: 60 s → 120 × 0.000049 + 240 × 0.00000613 = 0.00588 + 0.0014712
    const c = groupCost({ cpu: 1.5, memoryGiB: 3, billingStartMs: T0, endMs: T0 + 60_000 }, CNY)!;
    expect(c.amount).toBe(0.0073512);
  });

  it('prices a spot group at its hourly market price, else at the configured share', () => {
    // hourly 0.056 for 1800 s → 0.056 × 1800 / 3600 = 0.028
    const quoted = groupCost(
      { cpu: 2, memoryGiB: 4, billingStartMs: T0, endMs: T0 + 1_800_000, spot: { hourlyPrice: 0.056 } },
      CNY,
    )!;
    expect(quoted).toMatchObject({ spot: true, amount: 0.028 });
    // no quote: pay-as-you-go 1800 × 0.00012252 = 0.220536, × 0.2 = 0.0441072
    const share = groupCost({ cpu: 2, memoryGiB: 4, billingStartMs: T0, endMs: T0 + 1_800_000, spot: {} }, CNY)!;
    expect(share.amount).toBe(0.0441072);
  });
});
