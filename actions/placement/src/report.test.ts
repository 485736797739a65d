import { describe, expect, it } from '@jest/globals';
import { factsFromPod } from '../../../runner/src/jobpod/pod-facts.js';
import { parseFacts, placementOutputs, placementRows } from './report.js';

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

  it('tells regular nodes and unreadable nodes apart', () => {
    expect(factsFromPod({ spec: { containers: [] } }, {}, {}).nodeType).toBe('regular');
    expect(factsFromPod({ spec: { containers: [] } }, undefined, {}).nodeType).toBe('unknown');
  });
});
