/** The shared virtual-node suite on `--backend docker`: pods are containers on Podman, one infra container per pod. */
import { ENGINE_LABEL } from '@eci-virtual/contract';
import type { TestEnv } from '../harness/env.js';
import { readTestEnv } from '../harness/env.js';
import { describeVirtualNode, fetchEngine } from './virtual-node-suite.js';

let env: TestEnv;

describeVirtualNode({
  name: 'docker',
  start: async (e) => {
    env = e;
    return { args: [] };
  },
  stop: async () => undefined,
  objectsOf: async (_ns, podName, nodeName) => {
    const filters = { label: [`${ENGINE_LABEL.name}=${podName}`, `${ENGINE_LABEL.node}=${nodeName}`] };
    const res = (await fetchEngine(
      env ?? readTestEnv(),
      `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`,
    )) as unknown[];
    return res.length;
  },
  objectsPerPod: 2, // infra + main
  attach: true,
});
