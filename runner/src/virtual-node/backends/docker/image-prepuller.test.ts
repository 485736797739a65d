import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../observability/logger.js';
import type { RegistryAuth } from '../backend.js';
import { ImagePrepuller, type PullImage } from './image-prepuller.js';

function setup(fail: (image: string) => boolean = () => false) {
  const pulls: { image: string; auths: readonly RegistryAuth[] }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const pull: PullImage = async (image, auths) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    pulls.push({ image, auths });
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    if (fail(image)) throw new Error(`manifest unknown: ${image}`);
  };
  const lines: string[] = [];
  let clock = 1_000_000;
  const prepuller = new ImagePrepuller({
    pull,
    log: createLogger({}, { level: 'debug', write: (l) => lines.push(l) }),
    intervalMs: 60_000,
    now: () => clock,
  });
  return {
    prepuller,
    pulls,
    lines,
    maxInFlight: () => maxInFlight,
    advance: (ms: number) => (clock += ms),
  };
}

describe('ImagePrepuller', () => {
  it('pulls each image at most once per interval, one at a time, without blocking the caller', async () => {
    const t = setup();
    const auths = [{ registry: 'reg.example.com', username: 'u', password: 'p' }];
    t.prepuller.prepull(['node:20', 'postgres:16'], auths);
    t.prepuller.prepull(['node:20', 'postgres:16']); // a second pod of the same repository
    t.prepuller.prepull(['node:20', 'redis:7']);
    expect(t.pulls.length).toBeLessThanOrEqual(1); // returned before the pulls ran
    await t.prepuller.idle();
    expect(t.pulls.map((p) => p.image)).toEqual(['node:20', 'postgres:16', 'redis:7']);
    expect(t.pulls[0]!.auths).toBe(auths);
    expect(t.maxInFlight()).toBe(1);
    t.advance(30_000);
    t.prepuller.prepull(['node:20']);
    await t.prepuller.idle();
    expect(t.pulls).toHaveLength(3);
    t.advance(31_000); // past the interval: moving tags get refreshed
    t.prepuller.prepull(['node:20']);
    await t.prepuller.idle();
    expect(t.pulls.map((p) => p.image)).toEqual(['node:20', 'postgres:16', 'redis:7', 'node:20']);
  });

  it('logs failures and keeps going', async () => {
    const t = setup((image) => image === 'gone:1');
    t.prepuller.prepull(['gone:1', 'node:20']);
    await t.prepuller.idle();
    expect(t.pulls.map((p) => p.image)).toEqual(['gone:1', 'node:20']);
    expect(t.lines.some((l) => l.includes('image pre-pull failed') && l.includes('manifest unknown'))).toBe(true);
    expect(t.lines.some((l) => l.includes('pre-pulled image') && l.includes('node:20'))).toBe(true);
    // Only what was really pulled counts as cached (the Node's status.images).
    expect(t.prepuller.cached()).toEqual(['node:20']);
  });

  it('does nothing for pods without images, and nothing after stop', async () => {
    const t = setup();
    t.prepuller.prepull([]);
    await t.prepuller.stop();
    t.prepuller.prepull(['node:20']);
    await t.prepuller.idle();
    expect(t.pulls).toHaveLength(0);
  });
});
