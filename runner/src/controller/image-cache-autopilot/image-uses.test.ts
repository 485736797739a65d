import { describe, expect, it } from '@jest/globals';
import type { JobEvent } from '@eci-virtual/contract';
import { imageUseOf, podImageRoles, prepSecondsOf, withKanikoBases } from './image-uses.js';

const ev = (at: string, reason: string, message = ''): JobEvent => ({ at, type: 'Normal', reason, message });

describe('what the autopilot learns from a job', () => {
  it('records every image of the pod once, init containers first, with its role', () => {
    const pod = {
      spec: {
        initContainers: [
          { name: 'eci-agent', image: 'agent:1' },
          { name: 'eci-hooks', image: 'hooks:1' },
          { name: 'runner-externals', image: 'runner:2' },
        ],
        containers: [
          { name: 'runner', image: 'runner:2' },
          { name: 'job', image: 'node:20' },
          { name: 'svc-db', image: 'postgres:16' },
          { name: 'step-1', image: 'alpine:3' },
          { name: 'step-2', image: 'node:20' },
          { name: 'kaniko', image: 'kaniko:1' },
        ],
      },
    };
    expect(podImageRoles(pod)).toEqual([
      { ref: 'agent:1', role: 'runner' },
      { ref: 'hooks:1', role: 'runner' },
      { ref: 'runner:2', role: 'runner' },
      { ref: 'node:20', role: 'job' },
      { ref: 'postgres:16', role: 'service' },
      { ref: 'alpine:3', role: 'step' },
      { ref: 'kaniko:1', role: 'runner' },
    ]);
  });

  it('reads the prep time from Pulled events (the longest), else from the first pull to the last Pulled', () => {
    expect(
      prepSecondsOf([
        ev('2026-01-01T00:00:00Z', 'Pulling'),
        ev('2026-01-01T00:00:09Z', 'Pulled', 'Successfully pulled image "a" in 8.25s'),
        ev('2026-01-01T00:00:09Z', 'Pulled', 'Successfully pulled image "b" in 850ms'),
      ]),
    ).toBe(8.25);
    expect(
      prepSecondsOf([
        ev('2026-01-01T00:00:00Z', 'SuccessfulHitImageCache', 'Successfully hit image cache imc-1'),
        ev('2026-01-01T00:00:03Z', 'Pulled', 'Container image "a" already present on machine'),
      ]),
    ).toBe(3);
    expect(prepSecondsOf([ev('2026-01-01T00:00:00Z', 'Scheduled')])).toBeUndefined();
  });

  it('makes one use of a job with a pod; none of a record without roles or a pod', () => {
    const imageRoles = [{ ref: 'node:20', role: 'job' as const }];
    const events = [ev('2026-01-01T00:00:05Z', 'Pulled', 'Successfully pulled image "node:20" in 4s')];
    expect(
      imageUseOf({
        repo: 'o/r',
        podCreatedAt: '2026-01-01T00:00:00Z',
        imageRoles,
        imageCache: { used: false },
        events,
      }),
    ).toEqual({
      repo: 'o/r',
      at: Date.parse('2026-01-01T00:00:00Z'),
      images: imageRoles,
      prepSeconds: 4,
      fromCache: false,
    });
    // No pull events: whether a cache served it is unknown.
    expect(
      imageUseOf({
        repo: 'o/r',
        podCreatedAt: '2026-01-01T00:00:00Z',
        imageRoles,
        imageCache: { used: false },
        events: [],
      }),
    ).toEqual({ repo: 'o/r', at: Date.parse('2026-01-01T00:00:00Z'), images: imageRoles });
    expect(imageUseOf({ repo: 'o/r', podCreatedAt: '2026-01-01T00:00:00Z', imageCache: { used: false }, events })).toBe(
      undefined,
    );
    expect(imageUseOf({ repo: 'o/r', imageRoles, imageCache: { used: false }, events })).toBeUndefined();
  });
});

describe('withKanikoBases', () => {
  it('adds each new base image once as kaniko-base; undefined when nothing is new', () => {
    const roles = [{ ref: 'node:20', role: 'job' as const }];
    const once = withKanikoBases(roles, ['golang:1.23', 'node:20', 'golang:1.23']);
    // node:20 as a job image is another role: kaniko pulling it too is its own use.
    expect(once).toEqual([
      { ref: 'node:20', role: 'job' },
      { ref: 'golang:1.23', role: 'kaniko-base' },
      { ref: 'node:20', role: 'kaniko-base' },
    ]);
    expect(withKanikoBases(once, ['node:20', 'golang:1.23'])).toBeUndefined();
    expect(withKanikoBases(undefined, ['debian:12'])).toEqual([{ ref: 'debian:12', role: 'kaniko-base' }]);
    expect(withKanikoBases(roles, [])).toBeUndefined();
  });
});
