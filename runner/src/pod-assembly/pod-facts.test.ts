import { describe, expect, it } from '@jest/globals';
import { factsFromPod } from './pod-facts.js';

describe('pod facts', () => {
  it('reads placement, resources, specs, image cache and images from the pod and its node', () => {
    const facts = factsFromPod(
      {
        metadata: {
          name: 'job-1',
          namespace: 'ci',
          annotations: { 'k8s.aliyun.com/eci-use-specs': 'ecs.c6.large', 'k8s.aliyun.com/eci-auto-imc': 'true' },
        },
        spec: {
          nodeName: 'eci-virtual-node',
          containers: [
            {
              name: 'job',
              image: 'node:20',
              imagePullPolicy: 'IfNotPresent',
              resources: { limits: { cpu: '2', memory: '4Gi' } },
            },
            { name: 'kaniko', image: 'kaniko:1' },
          ],
        },
      },
      { type: 'virtual-kubelet' },
      { podCreatedMs: 40, runningMs: 812 },
    );
    // The same object actions/placement/src/report.test.ts feeds the report.
    expect(facts).toEqual({
      pod: 'job-1',
      namespace: 'ci',
      node: 'eci-virtual-node',
      nodeType: 'virtual',
      cpu: '2',
      memory: '4Gi',
      eciSpecs: 'ecs.c6.large',
      imageCache: { auto: true, pullPolicy: 'IfNotPresent' },
      images: ['node:20', 'kaniko:1'],
      kaniko: true,
      timings: { podCreatedMs: 40, runningMs: 812 },
    });
  });

  it('tells regular nodes and unreadable nodes apart', () => {
    expect(factsFromPod({ spec: { containers: [] } }, {}, {}).nodeType).toBe('regular');
    expect(factsFromPod({ spec: { containers: [] } }, undefined, {}).nodeType).toBe('unknown');
    expect(
      factsFromPod({ spec: { containers: [], nodeSelector: { type: 'virtual-kubelet' } } }, undefined, {}).nodeType,
    ).toBe('virtual');
  });
});
