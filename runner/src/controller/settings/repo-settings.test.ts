import { describe, expect, it } from '@jest/globals';
import {
  ANNOTATION,
  CACHE_IMAGES_ANNOTATION,
  cacheImagesOf,
  ECI_POD_ANNOTATION,
  formatCacheImages,
  InvalidInput,
} from '@eci-virtual/contract';
import { defaultRepoSettings, parseRepoSettings, placementAnnotations, placementFor } from './repo-settings.js';

const defaults = { nodeType: 'virtual' as const, cpu: '1', memory: '2Gi', nodeSelector: { pool: 'ci' } };

describe('repository settings', () => {
  const s = parseRepoSettings(
    `placement: { cpu: "2", memory: 4Gi, eciSpecs: [ecs.c6.large] }
jobs:
  build: { cpu: "4", nodeType: regular, nodeSelector: { disk: ssd } }
imageCache:
  images: [node:20, postgres:16, node:20]
  pullPolicy: Always
  kaniko: { cacheRepo: reg/cache, cacheTtl: 168h }`,
    'file',
  );

  it('layers defaults, repository and job placement', () => {
    expect(placementFor(s, 'build', defaults)).toEqual({
      nodeType: 'regular',
      cpu: '4',
      memory: '4Gi',
      eciSpecs: ['ecs.c6.large'],
      nodeSelector: { pool: 'ci', disk: 'ssd' },
    });
    expect(placementFor(s, 'other', defaults)).toMatchObject({ nodeType: 'virtual', cpu: '2' });
    expect(placementFor(defaultRepoSettings(), undefined, defaults)).toEqual(defaults);
  });

  it('reads the image cache model', () => {
    expect(s.imageCache).toEqual({
      images: ['node:20', 'postgres:16'],
      pullPolicy: 'Always',
      kaniko: { enabled: true, cacheRepo: 'reg/cache', cacheTtl: '168h' },
    });
    expect(placementAnnotations(placementFor(s, 'x', defaults), s.imageCache)).toEqual({
      'k8s.aliyun.com/eci-use-specs': 'ecs.c6.large',
      'k8s.aliyun.com/eci-auto-imc': 'true',
      [ANNOTATION.cacheImages]: 'node:20,postgres:16',
    });
    const none = { ...s.imageCache, images: [] };
    expect(placementAnnotations(placementFor(s, 'x', defaults), none)).toEqual({
      'k8s.aliyun.com/eci-use-specs': 'ecs.c6.large',
    });
  });

  it('carries the image list to the node in the annotation the backends read', () => {
    const annotations = placementAnnotations(placementFor(s, 'x', defaults), s.imageCache);
    expect(cacheImagesOf(annotations)).toEqual(['node:20', 'postgres:16']);
    expect(annotations[CACHE_IMAGES_ANNOTATION]).toBe(formatCacheImages(['postgres:16', 'node:20']));
  });

  it.each([
    ['placement: { cpu: lots }', /placement.cpu must be a CPU quantity/],
    ['placement: { memory: 4 gigs }', /placement.memory/],
    ['placement: { nodeType: spot }', /nodeType must be virtual or regular/],
    ['imageCache: { pullPolicy: Sometimes }', /pullPolicy/],
    ['imageCache: { kaniko: { cacheTtl: 1week } }', /cacheTtl/],
    ['imageCache: { images: ["a b"] }', /image references/],
    ['imageCache: { images: ["a,b"] }', /image references/],
    [`imageCache: { images: [${Array.from({ length: 21 }, (_, i) => `i${i}`).join(', ')}] }`, /at most 20/],
    ['imageCache: { autopilot: maybe }', /autopilot must be true or false/],
    ['- a list', /must be a mapping/],
    ['placement: [', /not valid YAML/],
  ])('rejects %s', (text, message) => {
    expect(() => parseRepoSettings(text, 'file')).toThrow(message);
  });
});

describe('spot placement', () => {
  it('reads spot and spotPriceLimit, per repository and per job, and annotates the pod for the node', () => {
    const s = parseRepoSettings(
      `placement: { spot: prefer, spotPriceLimit: 0.05 }
jobs:
  deploy: { spot: never }
  cheap: { spotPriceLimit: 0.01 }`,
      'file',
    );
    const build = placementFor(s, 'build', defaults);
    expect(build).toMatchObject({ spot: 'prefer', spotPriceLimit: 0.05 });
    expect(placementAnnotations(build, s.imageCache)).toEqual({
      [ANNOTATION.spot]: 'prefer',
      [ANNOTATION.spotPriceLimit]: '0.05',
    });
    expect(placementAnnotations(placementFor(s, 'deploy', defaults), s.imageCache)).toEqual({});
    expect(placementAnnotations(placementFor(s, 'cheap', defaults), s.imageCache)).toEqual({
      [ANNOTATION.spot]: 'prefer',
      [ANNOTATION.spotPriceLimit]: '0.01',
    });
    // A re-run of a reclaimed job goes pay-as-you-go.
    expect(placementAnnotations(build, s.imageCache, { noSpot: true })).toEqual({});
  });

  it('asks for automatic image cache matching when the autopilot is on, unless the repository opted out', () => {
    const p = placementFor(defaultRepoSettings(), undefined, defaults);
    const auto = { [ECI_POD_ANNOTATION.autoImageCache]: 'true' };
    expect(placementAnnotations(p, defaultRepoSettings().imageCache, { autoMatch: true })).toEqual(auto);
    expect(placementAnnotations(p, defaultRepoSettings().imageCache, { autoMatch: false })).toEqual({});
    const off = parseRepoSettings('imageCache: { autopilot: false }', 'file');
    expect(placementAnnotations(p, off.imageCache, { autoMatch: true })).toEqual({});
    // Its own images still get their cache, and matching with it.
    const own = parseRepoSettings('imageCache: { autopilot: false, images: [node:20] }', 'file');
    expect(placementAnnotations(p, own.imageCache, { autoMatch: true })).toEqual({
      ...auto,
      [CACHE_IMAGES_ANNOTATION]: 'node:20',
    });
  });

  it('defaults to never: no spot annotation without the key', () => {
    const p = placementFor(defaultRepoSettings(), undefined, defaults);
    expect(p.spot).toBeUndefined();
    expect(placementAnnotations(p, defaultRepoSettings().imageCache)).toEqual({});
    const prefer = parseRepoSettings('placement: { spot: prefer }', 'file');
    expect(placementAnnotations(placementFor(prefer, 'x', defaults), prefer.imageCache)).toEqual({
      [ANNOTATION.spot]: 'prefer',
    });
  });

  it.each([
    ['placement: { spot: always }', /placement.spot must be prefer or never, got "always"/],
    ['placement: { spot: true }', /placement.spot must be prefer or never, got true/],
    ['jobs: { b: { spot: Prefer } }', /jobs.b.spot must be prefer or never/],
    ['placement: { spotPriceLimit: 0 }', /placement.spotPriceLimit must be a positive number \(USD per hour\), got 0/],
    ['placement: { spotPriceLimit: -1 }', /spotPriceLimit must be a positive number/],
    ['placement: { spotPriceLimit: "0.05" }', /spotPriceLimit must be a positive number .*got "0.05"/],
    ['placement: { spotPriceLimit: .inf }', /spotPriceLimit must be a positive number/],
  ])('rejects %s with a typed error', (text, message) => {
    let thrown: unknown;
    try {
      parseRepoSettings(text, 'file');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidInput);
    expect((thrown as Error).message).toMatch(message);
  });
});
