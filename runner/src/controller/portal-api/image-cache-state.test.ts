import { describe, expect, it } from '@jest/globals';
import type { V1Node } from '@kubernetes/client-node';
import { imageCacheEntries } from './image-cache-state.js';

const node = (images: { names: string[]; sizeBytes?: number }[]): V1Node => ({ status: { images } });

describe('imageCacheEntries', () => {
  it('is ready when some virtual node holds the image, pending otherwise', () => {
    const nodes = [node([{ names: ['node:20'], sizeBytes: 400_000_000 }]), node([{ names: ['postgres:16'] }])];
    expect(imageCacheEntries(['node:20', 'postgres:16', 'redis:7'], nodes)).toEqual([
      { image: 'node:20', state: 'ready', sizeBytes: 400_000_000 },
      { image: 'postgres:16', state: 'ready' },
      { image: 'redis:7', state: 'pending' },
    ]);
  });

  it('is unknown when the nodes could not be read', () => {
    expect(imageCacheEntries(['node:20'], undefined)).toEqual([{ image: 'node:20', state: 'unknown' }]);
  });

  it('is pending everywhere when there is no virtual node', () => {
    expect(imageCacheEntries(['node:20'], [])).toEqual([{ image: 'node:20', state: 'pending' }]);
  });
});
