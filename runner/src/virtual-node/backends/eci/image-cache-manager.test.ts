import { afterEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { CACHE_IMAGES_ANNOTATION, cacheImagesOf, ECI_TAG, formatCacheImages } from '@eci-virtual/contract';
import { createLogger } from '../../../observability/logger.js';
import {
  clientFor,
  FAST_DELAYS,
  NODE,
  preparedPod,
  running,
  startEmulator,
  until,
} from '../../../../test/eci-emulator/fixtures.js';
import type { EciEmulator } from '../../../../test/eci-emulator/server.js';
import type { PreparedPod } from '../backend.js';
import { EciBackend } from './eci-backend.js';
import { imageCacheName, ImageCacheManager, type ImageCacheSettings } from './image-cache-manager.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const IMAGES = ['node:20', 'busybox:1.36'];
const signal = () => new AbortController().signal;

async function emulator(imageCacheMs = 120): Promise<EciEmulator> {
  const { emu } = await startEmulator({ delays: { ...FAST_DELAYS, imageCacheMs } });
  cleanups.push(() => emu.stop());
  return emu;
}

function captureLogs() {
  const lines: string[] = [];
  return { lines, log: createLogger({}, { level: 'debug', write: (l) => lines.push(l) }) };
}

function manager(emu: EciEmulator, settings: Partial<ImageCacheSettings> = {}, log = captureLogs().log) {
  const m = new ImageCacheManager({
    client: clientFor(emu),
    node: NODE,
    log,
    retentionDays: 7,
    refreshMs: 3_600_000,
    pollIntervalMs: 20,
    failureBackoffMs: 10,
    supersededGraceMs: 0,
    ...settings,
  });
  const running = m.run(signal());
  cleanups.push(async () => {
    m.stop();
    await running;
  });
  return m;
}

function backendWith(emu: EciEmulator, imageCache: ImageCacheSettings | undefined): EciBackend {
  const backend = new EciBackend({
    client: clientFor(emu),
    node: NODE,
    log: createLogger({}, { level: 'error' }),
    pollIntervalMs: 30,
    ...(imageCache ? { imageCache } : {}),
  });
  return running(backend, cleanups);
}

function cachePod(images = IMAGES, extra: Record<string, string> = {}): PreparedPod {
  const pod = preparedPod([{ command: ['sh', '-c'], args: ['exit 0'] }]);
  pod.pod.metadata!.annotations = {
    'k8s.aliyun.com/eci-auto-imc': 'true',
    [CACHE_IMAGES_ANNOTATION]: formatCacheImages(images),
    ...extra,
  };
  // What the node's pod-inputs resolves from the annotation before the backend sees the pod.
  pod.cacheImages = cacheImagesOf(pod.pod.metadata!.annotations);
  return pod;
}

/** The CreateContainerGroup requests the emulator accepted, in order. */
const groupRequests = (emu: EciEmulator) =>
  emu.calls.filter((c) => c.action === 'CreateContainerGroup' && c.status === 200).map((c) => c.params);
const imageCacheCalls = (emu: EciEmulator) => emu.calls.filter((c) => /ImageCache/.test(c.action)).length;
const readyCaches = (emu: EciEmulator) => emu.imageCaches.list().filter((c) => c.status === 'Ready');

describe('ECI image caches through the backend', () => {
  it('creates one cache per set for concurrent pods; auto-match until it is Ready, then its id', async () => {
    const emu = await emulator(150);
    const backend = backendWith(emu, { retentionDays: 7, refreshMs: 3_600_000, pollIntervalMs: 20 });
    await Promise.all(Array.from({ length: 5 }, () => backend.createPod(cachePod(), signal())));
    expect(groupRequests(emu)).toHaveLength(5);
    for (const r of groupRequests(emu)) {
      expect(r.AutoMatchImageCache).toBe('true');
      expect(r.ImageSnapshotId).toBeUndefined();
    }
    await until(() => readyCaches(emu).length === 1);
    await sleep(100); // a few polls: the manager learns it is Ready
    await backend.createPod(cachePod(['busybox:1.36', 'node:20', 'node:20']), signal()); // the same set
    const cache = readyCaches(emu)[0]!;
    expect(groupRequests(emu).at(-1)).toMatchObject({ ImageSnapshotId: cache.id });
    expect(groupRequests(emu).at(-1)!.AutoMatchImageCache).toBeUndefined();
    expect(emu.count('CreateImageCache', 200)).toBe(1);
    const create = emu.calls.find((c) => c.action === 'CreateImageCache')!.params;
    expect(create).toMatchObject({
      ImageCacheName: imageCacheName(IMAGES),
      'Image.1': 'busybox:1.36',
      'Image.2': 'node:20',
      VSwitchId: NODE.vSwitchId,
      SecurityGroupId: NODE.securityGroupId,
      RetentionDays: '7',
      'Tag.1.Key': ECI_TAG.cluster,
      'Tag.1.Value': NODE.clusterName,
    });
    expect(create.ClientToken).toMatch(/^eci-virtual-[0-9a-f]{12}-/);
    expect(cache.name).toMatch(/^eci-virtual-[0-9a-f]{12}$/);
  });

  it("lets a pod's explicit eci-imc-id win over the managed cache", async () => {
    const emu = await emulator(40);
    const mine = emu.imageCaches.create({
      name: 'mine',
      images: ['busybox:1.36'],
      tags: [],
      sizeGiB: 20,
      credentialServers: [],
    });
    const backend = backendWith(emu, { retentionDays: 7, refreshMs: 3_600_000, pollIntervalMs: 20 });
    await backend.createPod(cachePod(), signal());
    await until(() => readyCaches(emu).length === 2);
    await sleep(100);
    await backend.createPod(cachePod(IMAGES, { 'k8s.aliyun.com/eci-imc-id': mine.id }), signal());
    expect(groupRequests(emu).at(-1)).toMatchObject({ ImageSnapshotId: mine.id });
    await backend.createPod(cachePod(), signal());
    expect(groupRequests(emu).at(-1)!.ImageSnapshotId).not.toBe(mine.id);
    expect(groupRequests(emu).at(-1)!.ImageSnapshotId).toMatch(/^imc-/);
  });

  it('makes no image cache calls when the node has image caches off', async () => {
    const emu = await emulator();
    const backend = backendWith(emu, undefined);
    await backend.createPod(cachePod(), signal());
    await sleep(150);
    expect(imageCacheCalls(emu)).toBe(0);
    expect(groupRequests(emu)[0]).toMatchObject({ AutoMatchImageCache: 'true' });
  });
});

describe('ImageCacheManager', () => {
  it('finds the set’s existing cache of this cluster instead of creating one', async () => {
    const emu = await emulator(20);
    const tags = (cluster: string) => [{ Key: ECI_TAG.cluster, Value: cluster }];
    const base = { name: imageCacheName(IMAGES), images: [...IMAGES].sort(), sizeGiB: 20, credentialServers: [] };
    emu.imageCaches.create({ ...base, tags: tags('other-cluster') });
    const ours = emu.imageCaches.create({ ...base, tags: tags(NODE.clusterName) });
    await until(() => readyCaches(emu).length === 2);
    const m = manager(emu);
    expect(m.readyCacheFor(IMAGES)).toBeUndefined();
    expect(m.readyImages()).toEqual([]);
    expect(await until(() => m.readyCacheFor(IMAGES))).toBe(ours.id);
    expect(emu.count('CreateImageCache')).toBe(0);
    // What the node reports in status.images.
    expect(m.readyImages()).toEqual([{ images: [...IMAGES].sort(), id: ours.id }]);
  });

  it('refreshes an old cache: creates a new one, switches to it when Ready, deletes the old one', async () => {
    const emu = await emulator(60);
    const m = manager(emu, { refreshMs: 400 });
    m.readyCacheFor(IMAGES);
    const first = await until(() => m.readyCacheFor(IMAGES));
    const second = await until(() => {
      const id = m.readyCacheFor(IMAGES); // in use: a set nobody uses is not refreshed
      return id !== first ? id : undefined;
    }, 8_000);
    expect(second).toMatch(/^imc-/);
    await until(() => !emu.imageCaches.caches.has(first));
    expect(emu.calls.some((c) => c.action === 'DeleteImageCache' && c.params.ImageCacheId === first)).toBe(true);
    expect(emu.count('CreateImageCache', 200)).toBeGreaterThanOrEqual(2);
  });

  it('does not refresh a set no pod has used within the refresh interval', async () => {
    const emu = await emulator(20);
    const m = manager(emu, { refreshMs: 300 });
    m.readyCacheFor(IMAGES);
    await until(() => m.readyCacheFor(IMAGES));
    await sleep(400); // last use now older than the refresh interval (a refresh may have started before)
    await until(() => emu.imageCaches.list().every((c) => c.status === 'Ready'));
    const created = emu.count('CreateImageCache');
    await sleep(1_500); // well past the refresh interval, and nobody asks
    expect(emu.count('CreateImageCache')).toBe(created);
  });

  it('deletes a Failed cache and creates it again', async () => {
    const emu = await emulator(40);
    emu.imageCaches.failing.add('bad:1');
    const { log, lines } = captureLogs();
    const m = manager(emu, {}, log);
    const images = ['bad:1'];
    m.readyCacheFor(images);
    await until(() => emu.count('DeleteImageCache', 200) >= 1 && emu.count('CreateImageCache', 200) >= 2);
    const firstId = emu.calls.find((c) => c.action === 'DeleteImageCache')!.params.ImageCacheId;
    expect(lines.some((l) => l.includes('image cache failed; deleting it') && l.includes('Failed to pull'))).toBe(true);
    emu.imageCaches.failing.delete('bad:1');
    const id = await until(() => m.readyCacheFor(images), 8_000);
    expect(id).not.toBe(firstId);
    expect(m.readyCacheFor(images)).toBe(id);
  });

  it('passes the pod’s registry credentials without logging them, and logs API errors instead of throwing', async () => {
    const emu = await emulator(20);
    emu.injectFault({ action: 'CreateImageCache', code: 'Forbidden.RAM', status: 403, message: 'no permission' });
    const { log, lines } = captureLogs();
    const m = manager(emu, {}, log);
    const auths = [{ registry: 'reg.example.com', username: 'robot', password: 'pa55-not-logged' }];
    expect(m.readyCacheFor(['reg.example.com/team/app:1'], auths)).toBeUndefined();
    await until(() => m.readyCacheFor(['reg.example.com/team/app:1'], auths));
    expect(lines.some((l) => l.includes('image cache sync failed') && l.includes('Forbidden'))).toBe(true);
    const create = emu.calls.find((c) => c.action === 'CreateImageCache' && c.status === 200)!.params;
    expect(create).toMatchObject({
      'ImageRegistryCredential.1.Server': 'reg.example.com',
      'ImageRegistryCredential.1.UserName': 'robot',
      'ImageRegistryCredential.1.Password': 'pa55-not-logged',
    });
    expect(lines.join('\n')).not.toContain('pa55-not-logged');
  });

  it('ignores sets it cannot cache and stops when asked', async () => {
    const emu = await emulator();
    const { log, lines } = captureLogs();
    const m = new ImageCacheManager({ client: clientFor(emu), node: NODE, log, retentionDays: 7, refreshMs: 1 });
    const running = m.run(signal());
    expect(m.readyCacheFor([])).toBeUndefined();
    expect(m.readyCacheFor(Array.from({ length: 21 }, (_, i) => `img${i}`))).toBeUndefined();
    expect(lines.some((l) => l.includes('too many images'))).toBe(true);
    m.stop();
    await running;
    expect(imageCacheCalls(emu)).toBe(0);
  });
});
