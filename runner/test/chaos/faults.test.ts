import { afterEach, describe, expect, it } from '@jest/globals';
import { Throttled, Unavailable } from '@eci-virtual/contract';
import { clientFor, startEmulator } from '../eci-emulator/fixtures.js';
import type { Fault } from '../eci-emulator/limits.js';
import type { CallRecord, EciEmulator } from '../eci-emulator/server.js';
import { seededRandom } from '../seeded-random.js';
import {
  ECI_FAULT_KINDS,
  FAULT_KINDS,
  FaultInjector,
  faultKindsFor,
  type EciFaultTarget,
  type FaultKind,
  type FaultTargets,
  type InjectorOptions,
} from './faults.js';

/** A stand-in for the ECI emulator: records what is injected and when it is cleared. */
class FakeEci implements EciFaultTarget {
  readonly actions = ['CreateContainerGroup', 'DescribeContainerGroupStatus', 'DeleteContainerGroup', 'Other'];
  readonly calls: CallRecord[] = [];
  readonly injected: (Fault & { at: number })[] = [];
  cleared = 0;
  injectFault(f: Fault): void {
    this.injected.push({ ...f, at: Date.now() });
  }
  clearFaults(): void {
    this.cleared++;
  }
}

/** What the ECI kinds and `heal` touch: everything up, nothing to restart. */
const targets = (eci?: EciFaultTarget): FaultTargets =>
  ({
    stack: { emulator: { webhooks: {} }, replicas: 0 },
    node: { running: true },
    healCluster: async () => undefined,
    startEngineApi: async () => undefined,
    ...(eci ? { eci } : {}),
  }) as unknown as FaultTargets;

const options = (kinds: FaultKind[], over: Partial<InjectorOptions> = {}): InjectorOptions => ({
  kinds,
  gapMs: [0, 0],
  downMs: [0, 0],
  dropMs: [0, 0],
  ...over,
});

/** Runs the injector until it has injected `n` faults. */
async function inject(injector: FaultInjector, n = 1): Promise<void> {
  await injector.run(() => injector.records.length >= n);
}

describe('ECI fault kinds', () => {
  it('are offered on the eci backend only', () => {
    expect(faultKindsFor('eci')).toEqual([...FAULT_KINDS]);
    expect(faultKindsFor('docker').filter((k) => ECI_FAULT_KINDS.includes(k))).toEqual([]);
    expect(faultKindsFor('docker')).toContain('kill-node');
    expect(() => new FaultInjector(seededRandom(1), targets(), options(['eci-5xx']), () => undefined)).toThrow(
      /eci-5xx need the ECI emulator/,
    );
  });

  it('eci-throttle: every served action answers Throttling.User for the whole seeded window, then is cleared', async () => {
    const eci = new FakeEci();
    const logs: string[] = [];
    const injector = new FaultInjector(
      seededRandom(7),
      targets(eci),
      options(['eci-throttle'], { eciWindowMs: [120, 180] }),
      (m) => logs.push(m),
    );
    const started = Date.now();
    await inject(injector);
    const rec = injector.records[0]!;
    expect(eci.injected.map((f) => f.action)).toEqual(eci.actions);
    const window = eci.injected[0]!.forMs!;
    expect(window).toBeGreaterThanOrEqual(120);
    expect(window).toBeLessThanOrEqual(180);
    for (const f of eci.injected)
      expect(f).toMatchObject({ forMs: window, code: 'Throttling.User', status: 400, message: expect.any(String) });
    // The fault lasts the window: it is recorded as ended only once the window is over.
    expect(rec.endedAt - started).toBeGreaterThanOrEqual(window - 5);
    expect(eci.cleared).toBe(1);
    expect(rec).toMatchObject({ kind: 'eci-throttle', detail: expect.stringMatching(/^4 ECI actions answered 400/) });
    expect(logs[0]).toMatch(/^fault 1: eci-throttle /);
  });

  it('eci-5xx: a published server error (500 InternalError or 503 ServiceUnavailable) on every action', async () => {
    const seen = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const eci = new FakeEci();
      const injector = new FaultInjector(
        seededRandom(seed),
        targets(eci),
        options(['eci-5xx'], { eciWindowMs: [10, 10] }),
        () => undefined,
      );
      await inject(injector);
      expect(eci.injected.map((f) => f.action)).toEqual(eci.actions);
      const codes = new Set(eci.injected.map((f) => `${f.status} ${f.code}`));
      expect(codes.size).toBe(1);
      seen.add([...codes][0]!);
    }
    expect([...seen].sort()).toEqual(['500 InternalError', '503 ServiceUnavailable']);
  });

  it('defaults to windows of 5–20 s', async () => {
    const eci = new FakeEci();
    eci.injectFault = (f) => {
      eci.injected.push({ ...f, at: Date.now() });
      throw new Error('stop here'); // no need to wait the window out
    };
    const injector = new FaultInjector(seededRandom(3), targets(eci), options(['eci-throttle']), () => undefined);
    await inject(injector);
    expect(eci.cleared).toBe(1); // the failed injection healed
    expect(eci.injected[0]!.forMs).toBeGreaterThanOrEqual(5_000);
    expect(eci.injected[0]!.forMs).toBeLessThanOrEqual(20_000);
    expect(injector.records[0]!.detail).toMatch(/^injection failed: stop here/);
  });

  describe('against the emulator', () => {
    let emu: EciEmulator | undefined;
    afterEach(async () => {
      await emu?.stop();
      emu = undefined;
    });

    it('refuses the node’s calls during the window and serves them again after it', async () => {
      emu = (await startEmulator()).emu;
      const once = clientFor(emu, undefined, 1);
      const injector = new FaultInjector(
        seededRandom(11),
        targets(emu),
        options(['eci-throttle', 'eci-5xx'], { eciWindowMs: [400, 400] }),
        () => undefined,
      );
      const injecting = inject(injector, 2);
      const errors: unknown[] = [];
      // During the first window: every action refused, whatever it is.
      await new Promise((r) => setTimeout(r, 50));
      for (const action of ['DescribeContainerGroupStatus', 'DescribeContainerGroups', 'DescribeImageCaches'])
        errors.push(await once.call(action, {}).catch((e: unknown) => e));
      await injecting;
      expect(errors.every((e) => e instanceof Throttled || e instanceof Unavailable)).toBe(true);
      expect(injector.records.map((r) => r.detail)).toEqual([
        expect.stringMatching(/ECI actions answered .* for 0\.4 s \(3 calls refused\)/),
        expect.stringMatching(/ECI actions answered .* for 0\.4 s \(0 calls refused\)/),
      ]);
      // After the windows: served again.
      await expect(once.call('DescribeContainerGroups', {})).resolves.toBeDefined();
    });
  });
});
