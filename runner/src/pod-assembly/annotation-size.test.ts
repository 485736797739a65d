/**
 * Oversized pod annotations (issue #19, runner/docs/bad-input.md): Kubernetes refuses an object whose annotations
 * total more than 256 KiB (k8s.io/apimachinery pkg/api/validation/objectmeta.go, TotalAnnotationSizeLimitB, keys
 * and values counted in bytes). Names that only label the pod are cut to fit; anything else that would not fit is
 * refused before the pod is sent, naming the pod, the total and the largest annotation.
 */
import { describe, expect, it } from '@jest/globals';
import { ANNOTATION, InvalidInput } from '@eci-virtual/contract';
import { buildJobPod, type JobPodInput } from './pod-builder.js';
import { ANNOTATIONS_MAX_BYTES, checkAnnotationsSize, jobPodMetadata } from './pod-parts.js';

const LIMIT = 256 * 1024; // the API server's figure, restated here so the product constant is checked against it

const input = (env: [string, string][]): JobPodInput => ({
  name: 'job-abc',
  namespace: 'ci',
  repository: 'octo/repo',
  workflow: 'ci.yml',
  jobName: 'build',
  runId: '1',
  jobId: 'build',
  jobImage: 'debian',
  sharedEnv: env,
  placement: 'virtual',
});
const bytes = (a: Record<string, string> | undefined) =>
  Object.entries(a ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

describe('pod annotation size', () => {
  it('uses the API server limit', () => expect(ANNOTATIONS_MAX_BYTES).toBe(LIMIT));

  it('cuts huge workflow and job names, which only label the pod, so the pod still fits', () => {
    const meta = jobPodMetadata({
      name: 'p',
      namespace: 'ci',
      component: 'job',
      runId: '1',
      jobId: '2',
      workflow: 'w'.repeat(400_000),
      jobName: 'ü'.repeat(400_000),
    });
    expect(meta.annotations[ANNOTATION.job]!.length).toBeLessThanOrEqual(1024);
    expect(meta.annotations[ANNOTATION.job]!.endsWith('…')).toBe(true);
    expect(bytes(meta.annotations)).toBeLessThan(LIMIT);
  });

  it('refuses a job env too large for its annotation, before any pod is sent, saying which and how big', () => {
    const env: [string, string][] = Array.from({ length: 300 }, (_, i) => [`V${i}`, 'x'.repeat(1024)]);
    let thrown: unknown;
    try {
      buildJobPod(input(env));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidInput);
    expect((thrown as InvalidInput).message).toMatch(
      new RegExp(`^pod job-abc: its annotations total \\d+ bytes, more than the ${LIMIT} .*largest: ${ANNOTATION.env}`),
    );
    expect((thrown as InvalidInput).hint).toMatch(/env/);
    // Just under the limit is still a pod.
    const fits: [string, string][] = Array.from({ length: 200 }, (_, i) => [`V${i}`, 'x'.repeat(1024)]);
    expect(bytes(buildJobPod(input(fits)).metadata?.annotations)).toBeLessThanOrEqual(LIMIT);
  });

  it('counts bytes, keys included, as the API server does', () => {
    const key = 'k'.repeat(100);
    expect(() => checkAnnotationsSize('p', { [key]: 'v'.repeat(LIMIT - 100) })).not.toThrow();
    expect(() => checkAnnotationsSize('p', { [key]: 'v'.repeat(LIMIT - 99) })).toThrow(InvalidInput);
    expect(() => checkAnnotationsSize('p', { a: 'é'.repeat(LIMIT / 2) })).toThrow(/largest: a, 262145 bytes/);
  });
});
