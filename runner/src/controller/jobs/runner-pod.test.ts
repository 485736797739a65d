import { describe, expect, it } from '@jest/globals';
import { parseControllerConfig } from '../config.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { buildRunnerPod } from './runner-pod.js';

const config = parseControllerConfig(
  { scope: { repositories: ['o/r'] }, runner: { image: 'runner:1', hooksImage: 'hooks:1' }, namespace: 'ci' },
  { GITHUB_TOKEN: 'ghp_secret_value', ECI_VIRTUAL_WEBHOOK_SECRET: 'w' },
);
const job = {
  id: 42,
  runId: 7,
  repo: 'o/r',
  name: 'test',
  workflowName: 'CI',
  createdAt: '2026-01-01T00:00:00Z',
  htmlUrl: 'u',
  labels: ['eci-virtual'],
} as WorkflowJob;
const placement = {
  nodeType: 'virtual' as const,
  cpu: '2',
  memory: '4Gi',
  nodeSelector: {},
  annotations: { 'k8s.aliyun.com/eci-use-specs': 'ecs.c6.large' },
};

describe('runner pod', () => {
  it('holds the runner, the job container, services and docker:// step containers from the start', () => {
    const pod = buildRunnerPod({
      job,
      plan: {
        jobKey: 'test',
        container: { image: 'node:20', env: { A: '1' } },
        services: [{ name: 'db', image: 'postgres:16', env: {} }],
        stepImages: ['alpine:3'],
      },
      config,
      placement,
      runnerId: 9,
    });
    const spec = pod.spec!;
    expect(pod.metadata!.name).toBe('eci-job-42');
    expect(spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['runner', 'runner:1'],
      ['job', 'node:20'],
      ['svc-db', 'postgres:16'],
      ['step-0', 'alpine:3'],
    ]);
    expect(spec.initContainers!.map((c) => c.name)).toEqual(['eci-hooks', 'runner-externals']);
    expect(spec.serviceAccountName).toBe('eci-job-42');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.nodeSelector).toEqual({ type: 'virtual-kubelet' });
    expect(pod.metadata!.annotations!['k8s.aliyun.com/eci-use-specs']).toBe('ecs.c6.large');
    const runner = spec.containers[0]!;
    expect(runner.env!.find((e) => e.name === 'ACTIONS_RUNNER_INPUT_JITCONFIG')!.valueFrom!.secretKeyRef).toEqual({
      name: 'eci-job-42-jit',
      key: 'jitconfig',
    });
    expect(runner.resources!.limits).toEqual({ cpu: '2', memory: '4Gi' });
    // The token goes to the runner container only, never to job/service containers.
    const tokenMounts = spec.containers
      .filter((c) => c.volumeMounts?.some((m) => m.name === 'runner-token'))
      .map((c) => c.name);
    expect(tokenMounts).toEqual(['runner']);
    expect(JSON.stringify(pod)).not.toContain('ghp_secret_value');
    expect(spec.containers[1]!.env).toContainEqual({ name: 'A', value: '1' });
  });

  it('runs container-less jobs in the runner container alone', () => {
    const pod = buildRunnerPod({
      job,
      plan: { services: [], stepImages: [] },
      config,
      placement: { ...placement, nodeType: 'regular' },
      runnerId: 9,
    });
    expect(pod.spec!.containers.map((c) => c.name)).toEqual(['runner']);
    expect(pod.spec!.initContainers!.map((c) => c.name)).toEqual(['eci-hooks']);
    expect(pod.spec!.tolerations).toEqual([]);
  });
});

describe('runner pod for image builds', () => {
  it('adds the kaniko container with push credentials only there, from the controller config', () => {
    const cfg = parseControllerConfig(
      {
        scope: { repositories: ['o/r'] },
        runner: { image: 'runner:1', hooksImage: 'hooks:1' },
        kaniko: { image: 'registry/kaniko:v1.27.5', registrySecret: 'push-creds' },
      },
      { GITHUB_TOKEN: 't', ECI_VIRTUAL_WEBHOOK_SECRET: 'w' },
    );
    const pod = buildRunnerPod({
      job,
      plan: { jobKey: 'test', services: [], stepImages: [], buildsImages: true },
      config: cfg,
      placement,
      runnerId: 9,
      kaniko: cfg.kaniko,
    });
    const kaniko = pod.spec!.containers.find((c) => c.name === 'kaniko')!;
    expect(kaniko.image).toBe('registry/kaniko:v1.27.5');
    expect(kaniko.volumeMounts?.some((m) => m.mountPath === '/kaniko/.docker')).toBe(true);
    expect(pod.spec!.containers.filter((c) => c.volumeMounts?.some((m) => m.name === 'kaniko-registry'))).toHaveLength(
      1,
    );
  });
});
