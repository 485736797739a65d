import { describe, expect, it } from '@jest/globals';
import { parseRepoSettings } from '../settings/repo-settings.js';
import { cacheOverrideOf } from './repo-overrides.js';

describe('repository cache overrides', () => {
  it('reads imageCache.autopilot and imageCache.images', () => {
    expect(cacheOverrideOf(parseRepoSettings('imageCache: { autopilot: false }', 'f'))).toEqual({
      autopilot: false,
      images: [],
    });
    expect(cacheOverrideOf(parseRepoSettings('imageCache: { images: [node:20] }', 'f'))).toEqual({
      autopilot: true,
      images: ['node:20'],
    });
  });
});
