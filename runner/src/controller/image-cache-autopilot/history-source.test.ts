import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../observability/logger.js';
import { historyImageSource, RepoOverrideCache } from './history-source.js';
import { registryDigests } from './registry-digests.js';
import type { ImageUse } from './types.js';

const log = createLogger({}, { level: 'error' });

describe('the autopilot inputs from the controller', () => {
  it("reads the history's image uses and the settings of their repositories, each at most once per TTL", async () => {
    const files: Record<string, string | undefined> = {
      'o/a': 'imageCache: { autopilot: false, images: [node:20] }',
      'o/b': undefined,
    };
    const reads: string[] = [];
    let now = 0;
    const overrides = new RepoOverrideCache({
      github: {
        getFileText: (repo: string, path: string, ref: string) => {
          reads.push(`${repo}:${path}@${ref}`);
          if (repo === 'o/broken') return Promise.reject(new Error('boom'));
          return Promise.resolve(files[repo]);
        },
      },
      log,
      ttlMs: 1_000,
      now: () => now,
    });
    const uses: ImageUse[] = [
      { repo: 'o/a', at: 1, images: [{ ref: 'node:20', role: 'job' }] },
      { repo: 'o/b', at: 2, images: [{ ref: 'node:22', role: 'job' }] },
      { repo: 'o/a', at: 3, images: [{ ref: 'node:20', role: 'job' }] },
    ];
    const asked: number[] = [];
    const source = historyImageSource(
      {
        imageUses: (since: number) => {
          asked.push(since);
          return Promise.resolve(uses);
        },
      },
      overrides,
    );
    expect(await source.usesSince(42)).toBe(uses);
    expect(asked).toEqual([42]);
    expect(reads).toEqual(['o/a:.github/eci-virtual.yml@HEAD', 'o/b:.github/eci-virtual.yml@HEAD']);
    expect(overrides.get('o/a')).toEqual({ autopilot: false, images: ['node:20'] });
    expect(overrides.get('o/b')).toEqual({ autopilot: true, images: [] });
    expect(overrides.get('o/never')).toBeUndefined();
    await source.usesSince(43);
    expect(reads).toHaveLength(2); // within the TTL
    now = 1_000;
    files['o/a'] = 'imageCache: { autopilot: true }';
    await source.usesSince(44);
    expect(reads).toHaveLength(4);
    expect(overrides.get('o/a')).toEqual({ autopilot: true, images: [] });
    // A repository whose settings cannot be read keeps what was known (nothing here).
    await overrides.refresh(['o/broken']);
    expect(overrides.get('o/broken')).toBeUndefined();
  });

  it('asks the registry for digests; a registry that cannot answer makes the digest unknown', async () => {
    const digests = registryDigests(
      {
        manifestDigest: (image: string) =>
          image === 'bad:1' ? Promise.reject(new Error('registry unreachable')) : Promise.resolve(`sha256:${image}`),
      },
      log,
    );
    expect(await digests.digest('ok:1')).toBe('sha256:ok:1');
    expect(await digests.digest('bad:1')).toBeUndefined();
  });
});
