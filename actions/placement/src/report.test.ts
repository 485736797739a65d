import { describe, expect, it } from '@jest/globals';
import type { PodFacts } from '@eci-virtual/contract';
import { parseFacts, placementOutputs, placementRows } from './report.js';

/** As the engine writes them for a virtual-node pod (runner/src/pod-assembly/pod-facts.test.ts builds the same). */
const facts: PodFacts = {
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
};

describe('placement report', () => {
  it('reads the facts the engine sets and reports node, type, resources, specs, cache and latency', () => {
    const parsed = parseFacts(JSON.stringify(facts));
    const rows = Object.fromEntries(placementRows(parsed));
    expect(rows.node).toBe('eci-virtual-node (virtual)');
    expect(rows.cpu).toBe('2');
    expect(rows.memory).toBe('4Gi');
    expect(rows['ECI specs']).toBe('ecs.c6.large');
    expect(rows['pod running']).toBe('0.81 s');
    expect(rows['image cache']).toBe('automatic (eci-auto-imc)');
    expect(rows['kaniko container']).toBe('yes');
    expect(placementOutputs(parsed)).toMatchObject({ 'node-type': 'virtual', 'pod-running-ms': '812' });
  });

  it('says clearly when the step is not in an eci-virtual pod, or the variable is broken', () => {
    expect(() => parseFacts(undefined)).toThrow(/does not run in an eci-virtual job pod/);
    expect(() => parseFacts('{nope')).toThrow(/not pod facts JSON/);
  });
});
