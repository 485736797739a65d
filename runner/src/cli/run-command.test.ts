import { describe, expect, it } from '@jest/globals';
import { parseRepoSettings } from '../controller/settings/repo-settings.js';
import { CACHE_IMAGES_ANNOTATION } from '@eci-virtual/contract';
import type { JobSpec } from '../local-run/job-spec.js';
import { jobPlacement } from './run-command.js';

const job: JobSpec = { id: 'build', name: 'build', workflow: 'ci', services: [], env: {}, defaults: {}, steps: [] };

describe('eci-virtual run: job placement from .github/eci-virtual.yml', () => {
  it('puts the image cache list on the job pod, as the controller does', () => {
    const settings = parseRepoSettings('imageCache: { images: [postgres:16, node:20], pullPolicy: Always }', 'f');
    expect(jobPlacement(job, settings, 'virtual', undefined)).toMatchObject({
      imagePullPolicy: 'Always',
      annotations: {
        'k8s.aliyun.com/eci-auto-imc': 'true',
        [CACHE_IMAGES_ANNOTATION]: 'node:20,postgres:16',
      },
    });
    expect(jobPlacement(job, parseRepoSettings('{}', 'f'), 'virtual', undefined).annotations).toBeUndefined();
  });
});
