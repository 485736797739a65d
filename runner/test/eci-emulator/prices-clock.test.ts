import { afterEach, describe, expect, it } from '@jest/globals';
import { SimulatedClock } from './clock.js';
import { clientFor, NODE, startEmulator } from './fixtures.js';
import type { EciEmulator } from './server.js';

let emu: EciEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('DescribeContainerGroupPrice', () => {
  it('refuses what the reference requires: Cpu, Memory, SpotPriceLimit with SpotWithPriceLimit', async () => {
    ({ emu } = await startEmulator());
    const client = clientFor(emu, undefined, 1);
    await expect(client.call('DescribeContainerGroupPrice', { Memory: 4 })).rejects.toThrow(/Cpu/);
    await expect(
      client.call('DescribeContainerGroupPrice', { Cpu: 2, Memory: 4, SpotStrategy: 'SpotWithPriceLimit' }),
    ).rejects.toThrow(/SpotPriceLimit/);
    const ok = await client.call<{ PriceInfo: { Price: { TradePrice: number; Currency: string } } }>(
      'DescribeContainerGroupPrice',
      { Cpu: 2, Memory: 4 },
    );
    // The reference's example: 2 vCPU + 4 GiB in cn-hangzhou, 0.00012252 CNY a second.
    expect(ok.PriceInfo.Price).toMatchObject({ TradePrice: 0.00012252, Currency: 'CNY' });
  });
});

describe('simulated clock', () => {
  it('moves groups and image caches only as simulated time advances', async () => {
    const clock = new SimulatedClock(Date.parse('2026-03-02T00:00:00Z'));
    ({ emu } = await startEmulator({
      clock,
      delays: { scheduleMs: 2_000, pullMs: 50_000, cachedPullMs: 1_000, imageCacheMs: 300_000, spotNoticeMs: 1 },
    }));
    const client = clientFor(emu);
    const { ImageCacheId } = await client.call<{ ImageCacheId: string }>('CreateImageCache', {
      ImageCacheName: 'c1',
      Image: ['node:20'],
      VSwitchId: NODE.vSwitchId,
      SecurityGroupId: NODE.securityGroupId,
    });
    await clock.advance(299_000);
    expect(emu.imageCaches.get(ImageCacheId)!.status).toBe('Creating');
    await clock.advance(1_000);
    expect(emu.imageCaches.get(ImageCacheId)!.status).toBe('Ready');

    const { ContainerGroupId } = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', {
      ContainerGroupName: 'g1',
      SecurityGroupId: NODE.securityGroupId,
      VSwitchId: NODE.vSwitchId,
      AutoMatchImageCache: true,
      Container: [{ Name: 'c', Image: 'node:20' }],
    });
    await clock.advance(2_999); // scheduled at 2 s, pulled from the cache at 3 s
    expect(emu.groups.get(ContainerGroupId)!.started).toBe(false);
    await clock.advance(1);
    const g = emu.groups.get(ContainerGroupId)!;
    expect(g.started).toBe(true);
    expect(g.events.map((e) => e.Reason)).toContain('SuccessfulHitImageCache');
    expect(g.events.find((e) => e.Reason === 'Pulled')!.Message).toMatch(/ in 1\.000s$/);
  });
});
