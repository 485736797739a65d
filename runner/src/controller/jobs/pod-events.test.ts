import { describe, expect, it } from '@jest/globals';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { JobEvent } from '@eci-virtual/contract';
import { imageCacheUse, startupRecorded, toJobEvents } from './pod-events.js';

const ev = (reason: string, at: string, message = '', type = 'Normal'): CoreV1Event => ({
  metadata: { name: `p.${reason}`, creationTimestamp: new Date('2026-01-01T00:00:59Z') },
  involvedObject: { kind: 'Pod', name: 'p' },
  reason,
  message,
  type,
  firstTimestamp: new Date(at),
});
const je = (reason: string, at: string, message = ''): JobEvent => ({ at, type: 'Normal', reason, message });

describe('toJobEvents', () => {
  it('orders by first occurrence, keeps the type, and skips events without a reason', () => {
    const out = toJobEvents([
      ev('Started', '2026-01-01T00:00:03Z', 'Started container runner'),
      ev('Scheduled', '2026-01-01T00:00:01Z', 'assigned to vn-1'),
      ev('OOMKilling', '2026-01-01T00:00:09Z', 'Memory cgroup out of memory', 'Warning'),
      { ...ev('', '2026-01-01T00:00:02Z'), reason: undefined },
    ]);
    expect(out).toEqual([
      je('Scheduled', '2026-01-01T00:00:01.000Z', 'assigned to vn-1'),
      je('Started', '2026-01-01T00:00:03.000Z', 'Started container runner'),
      { ...je('OOMKilling', '2026-01-01T00:00:09.000Z', 'Memory cgroup out of memory'), type: 'Warning' },
    ]);
  });

  it('falls back to eventTime, then the creation time', () => {
    const e = ev('Pulled', '2026-01-01T00:00:00Z');
    delete e.firstTimestamp;
    expect(toJobEvents([{ ...e, eventTime: new Date('2026-01-01T00:00:05Z') }])[0]!.at).toBe(
      '2026-01-01T00:00:05.000Z',
    );
    expect(toJobEvents([e])[0]!.at).toBe('2026-01-01T00:00:59.000Z');
  });
});

describe('imageCacheUse', () => {
  const images = ['127.0.0.1:5000/ci/node:20'];

  it('reads the ECI image cache hit and its id', () => {
    expect(
      imageCacheUse([je('SuccessfulHitImageCache', 't', 'Successfully hit image cache imc-2ze5tm0m4bl1nv3b7v8x')], []),
    ).toEqual({ used: true, id: 'imc-2ze5tm0m4bl1nv3b7v8x' });
  });

  it('counts a pre-pulled listed image as a cache hit, an unlisted or pulled one not', () => {
    const present = (image: string) => je('Pulled', 't', `Container image "${image}" already present on machine`);
    expect(imageCacheUse([present(images[0]!)], images)).toEqual({ used: true });
    expect(imageCacheUse([present('127.0.0.1:5000/other:1')], images)).toEqual({ used: false });
    expect(
      imageCacheUse(
        [
          je('Pulling', 't', `Pulling image "${images[0]}"`),
          je('Pulled', 't', `Successfully pulled image "${images[0]}"`),
        ],
        images,
      ),
    ).toEqual({ used: false });
  });

  it('says nothing when the events say nothing about images', () => {
    expect(imageCacheUse([je('Scheduled', 't')], images)).toBeUndefined();
  });
});

describe('startupRecorded', () => {
  it('is true once a container Started, not while only scheduling or pulls are known', () => {
    expect(startupRecorded([])).toBe(false);
    expect(startupRecorded([je('Scheduled', 't'), je('Pulling', 't', 'Pulling image "a"')])).toBe(false);
    expect(startupRecorded([je('Pulled', 't'), je('Started', 't', 'Started container runner')])).toBe(true);
  });
});
