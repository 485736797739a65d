import { describe, expect, it } from '@jest/globals';
import { Unavailable } from '@eci-virtual/contract';
import { literalEnv, resolveServiceCommands, type ImageConfigSource } from './service-commands.js';

const registry: ImageConfigSource = {
  imageConfig: async (image, signal) => {
    if (image.startsWith('down/')) throw new Unavailable(`image ${image}: registry unreachable: ECONNREFUSED`);
    if (image.startsWith('slow/'))
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    return { entrypoint: ['entry'], cmd: [image], env: [], manifestDigest: 'sha256:x' };
  },
};

describe('resolveServiceCommands', () => {
  it('holds services whose config was read and names the others, never failing', async () => {
    const r = await resolveServiceCommands(
      registry,
      [
        { name: 'db', image: 'postgres:16' },
        { name: 'mq', image: 'down/rabbit:3' },
        { name: 'slow', image: 'slow/x:1' },
      ],
      300,
    );
    expect(r.held).toEqual({ db: { entrypoint: ['entry'], cmd: ['postgres:16'] } });
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toContain(
      'services.mq: cannot read the config of down/rabbit:3 (image down/rabbit:3: registry unreachable',
    );
    expect(r.problems[0]).toContain('without the agent');
    expect(r.problems[1]).toContain('services.slow: cannot read the config of slow/x:1 (no answer within 0.3 s)');
  });

  it('keeps only literal env values for a service that is not held', () => {
    expect(literalEnv({ A: 'x', B: '${{ secrets.B }}', C: 'pre-${{ matrix.c }}' })).toEqual({ A: 'x' });
  });
});
