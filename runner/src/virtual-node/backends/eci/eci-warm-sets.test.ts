import { afterEach, describe, expect, it } from '@jest/globals';
import { clientFor, FAST_DELAYS, NODE, startEmulator, until } from '../../../../test/eci-emulator/fixtures.js';
import type { EciEmulator } from '../../../../test/eci-emulator/server.js';
import { EciWarmSets } from './eci-warm-sets.js';

let emu: EciEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('ECI image caches as warm sets', () => {
  it('creates tagged caches, lists only its own with their state and labels, deletes them', async () => {
    ({ emu } = await startEmulator());
    const client = clientFor(emu);
    const sets = new EciWarmSets({ client, node: NODE, quota: 50, sizeGiB: 30 });
    // A cache somebody else made (no autopilot tag) is not listed.
    await client.call('CreateImageCache', {
      ImageCacheName: 'someone-else',
      Image: ['alpine:3'],
      VSwitchId: NODE.vSwitchId,
      SecurityGroupId: NODE.securityGroupId,
    });
    const id = await sets.create({
      name: 'eci-virtual-auto-abc',
      images: ['node:20', 'runner'],
      labels: { 'eci-virtual/repo': 'o/a' },
    });
    const listed = await sets.list();
    expect(listed).toEqual([
      expect.objectContaining({
        id,
        name: 'eci-virtual-auto-abc',
        images: ['node:20', 'runner'],
        state: 'pending',
        sizeGiB: 30,
      }),
    ]);
    expect(listed[0]!.labels).toMatchObject({ 'eci-virtual/repo': 'o/a', 'eci-virtual/autopilot': 'true' });
    const ready = await until(
      async () => (await sets.list()).find((s) => s.state === 'ready'),
      FAST_DELAYS.imageCacheMs * 50,
    );
    expect(ready.id).toBe(id);
    // The call carried the node's network, a retention and a client token (retries never create two).
    const create = emu.calls.filter((c) => c.action === 'CreateImageCache').at(-1)!;
    expect(create.params).toMatchObject({
      VSwitchId: NODE.vSwitchId,
      SecurityGroupId: NODE.securityGroupId,
      RetentionDays: '7',
    });
    expect(create.params.ClientToken).toMatch(/^[0-9a-f]{32}$/);
    await sets.delete(id);
    await sets.delete(id); // already gone: fine
    expect(await sets.list()).toEqual([]);
  });
});
