import { afterEach, describe, expect, it } from '@jest/globals';
import { ANNOTATION } from '@eci-virtual/contract';
import { createLogger } from '../../../observability/logger.js';
import { clientFor, NODE, preparedPod, running, startEmulator, until } from '../../../../test/eci-emulator/fixtures.js';
import type { BackendEvent } from '../backend.js';
import { EciBackend } from './eci-backend.js';
import { mapEciError, NoStock, PodQuotaExceeded, QuotaExceeded } from './eci-errors.js';
import { createContainerGroupRequest, preferredSpotParams, refusals } from './pod-mapping.js';
import { payAsYouGoRequest, shouldFallBack } from './spot-fallback.js';

const log = createLogger({}, { level: 'error' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const PREFER = { [ANNOTATION.spot]: 'prefer' };
const noStock = () =>
  mapEciError(403, { Code: 'OperationDenied.NoStock', Message: 'sold out' }, 'CreateContainerGroup');

describe('spot request parameters', () => {
  it('maps spot: prefer to SpotAsPriceGo, or SpotWithPriceLimit with the cap (SDK parameter names)', () => {
    expect(preferredSpotParams({})).toEqual({});
    expect(preferredSpotParams(PREFER)).toEqual({ SpotStrategy: 'SpotAsPriceGo' });
    expect(preferredSpotParams({ ...PREFER, [ANNOTATION.spotPriceLimit]: '0.05' })).toEqual({
      SpotStrategy: 'SpotWithPriceLimit',
      SpotPriceLimit: 0.05,
    });
    const pod = preparedPod([{}]);
    pod.pod.metadata!.annotations = { ...PREFER, [ANNOTATION.spotPriceLimit]: '0.2' };
    expect(createContainerGroupRequest(pod, NODE)).toMatchObject({
      SpotStrategy: 'SpotWithPriceLimit',
      SpotPriceLimit: 0.2,
    });
  });

  it('refuses bad spot annotations before any call', () => {
    const pod = preparedPod([{}]);
    pod.pod.metadata!.annotations = { [ANNOTATION.spot]: 'always', [ANNOTATION.spotPriceLimit]: 'cheap' };
    expect(refusals(pod)).toEqual([
      `annotation ${ANNOTATION.spot}: "always" is not "prefer"`,
      `annotation ${ANNOTATION.spotPriceLimit}: "cheap" is not a positive hourly price`,
    ]);
  });
});

describe('the fallback decision', () => {
  const spotRequest = { SpotStrategy: 'SpotWithPriceLimit', SpotPriceLimit: 0.05, SpotDuration: 1, ClientToken: 'u1' };

  it('maps every *NoStock code to NoStock (still a quota error), other quota codes not', () => {
    expect(noStock()).toBeInstanceOf(NoStock);
    expect(noStock()).toBeInstanceOf(QuotaExceeded);
    const other = mapEciError(400, { Code: 'RecommendEmpty.InstanceTypeNoStock' }, 'CreateContainerGroup');
    expect(other).toBeInstanceOf(NoStock);
    expect(mapEciError(403, { Code: 'QuotaExceed.ContainerGroupQuotaExceed' }, 'x')).not.toBeInstanceOf(NoStock);
  });

  it('falls back only for a spot request, refused for stock, of a pod that prefers spot', () => {
    expect(shouldFallBack(noStock(), spotRequest, PREFER)).toBe(true);
    expect(shouldFallBack(noStock(), spotRequest, {})).toBe(false); // ACK's own spot annotations: spot only
    expect(shouldFallBack(noStock(), { SpotStrategy: 'NoSpot' }, PREFER)).toBe(false);
    expect(shouldFallBack(noStock(), {}, PREFER)).toBe(false);
    const quota = mapEciError(403, { Code: 'QuotaExceed.ContainerGroupQuotaExceed' }, 'x');
    expect(shouldFallBack(quota, spotRequest, PREFER)).toBe(false);
    expect(shouldFallBack(new Error('network'), spotRequest, PREFER)).toBe(false);
  });

  it('asks for the same group without spot parameters and with a token of its own', () => {
    const request = { ContainerGroupName: 'ns-p', ...spotRequest, Cpu: 2 };
    expect(payAsYouGoRequest(request)).toEqual({ ContainerGroupName: 'ns-p', ClientToken: 'u1-payg', Cpu: 2 });
    expect(request.SpotStrategy).toBe('SpotWithPriceLimit'); // not mutated
  });
});

describe('EciBackend: spot refused → pay-as-you-go', () => {
  async function setup() {
    const { emu } = await startEmulator({}, { timeScale: 1 });
    cleanups.push(() => emu.stop());
    const backend = running(
      new EciBackend({ client: clientFor(emu), node: NODE, log, pollIntervalMs: 30, logPollIntervalMs: 40 }),
      cleanups,
    );
    const events: BackendEvent[] = [];
    backend.onEvent((e) => events.push(e));
    return { emu, backend, events };
  }

  it('creates the same pod pay-as-you-go within a second and says so in a SpotFallback event', async () => {
    const { emu, backend, events } = await setup();
    emu.refuseSpot();
    const pod = preparedPod([{ command: ['sleep', '5'] }]);
    pod.pod.metadata!.annotations = { ...PREFER, [ANNOTATION.spotPriceLimit]: '0.05' };
    const t0 = performance.now();
    await backend.createPod(pod, new AbortController().signal);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1_000);
    const creates = emu.calls.filter((c) => c.action === 'CreateContainerGroup');
    expect(creates.map((c) => [c.status, c.code, c.params.SpotStrategy])).toEqual([
      [403, 'OperationDenied.NoStock', 'SpotWithPriceLimit'],
      [200, undefined, undefined],
    ]);
    const [group] = emu.groups.all();
    expect(group!.meta.spotStrategy).toBe('NoSpot');
    const fallback = events.find((e) => e.reason === 'SpotFallback');
    expect(fallback).toMatchObject({ type: 'Warning', ref: pod.ref });
    expect(fallback!.message).toMatch(
      /no spot capacity .*OperationDenied\.NoStock.*created pay-as-you-go after \d+ ms/,
    );
    await until(async () => (await backend.getPodStatus(pod.ref))?.phase === 'Running');
    await backend.createPod(pod, new AbortController().signal); // a retry of the pod does not make another group
    expect(emu.groups.size).toBe(1);
  });

  it('stays on spot while there is stock, and fails a spot-only pod (ACK annotation) for lack of stock', async () => {
    const { emu, backend, events } = await setup();
    const spot = preparedPod([{ command: ['sleep', '5'] }]);
    spot.pod.metadata!.annotations = PREFER;
    await backend.createPod(spot, new AbortController().signal);
    expect(emu.groups.all()[0]!.meta.spotStrategy).toBe('SpotAsPriceGo');
    emu.refuseSpot(1);
    const only = preparedPod([{ command: ['sleep', '5'] }]);
    only.pod.metadata!.annotations = { 'k8s.aliyun.com/eci-spot-strategy': 'SpotAsPriceGo' };
    await expect(backend.createPod(only, new AbortController().signal)).rejects.toBeInstanceOf(PodQuotaExceeded);
    expect(events.filter((e) => e.reason === 'SpotFallback')).toEqual([]);
  });
});
