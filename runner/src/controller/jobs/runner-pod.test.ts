import { describe, expect, it } from '@jest/globals';
import {
  AGENT,
  agentSocketPath,
  CONTAINER,
  heldByAgent,
  heldDefault,
  servesAgent,
  UNIX_SOCKET_PATH_MAX,
} from '@eci-virtual/contract';
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
    expect(spec.initContainers!.map((c) => c.name)).toEqual(['eci-agent', 'eci-hooks', 'runner-externals']);
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
    // The job container's env is the runner's to evaluate and hand to prepare_job: none of it in the spec.
    expect(spec.containers[1]!.env).toBeUndefined();
  });

  it('holds services in their agent with the image command, and no workflow env anywhere in the spec', () => {
    const pod = buildRunnerPod({
      job,
      plan: {
        jobKey: 'test',
        container: { image: 'node:20', env: { TOKEN: '${{ secrets.T }}' } },
        services: [
          {
            name: 'db',
            image: 'postgres:16',
            env: { POSTGRES_PASSWORD: '${{ secrets.PG }}', MODE: '${{ matrix.mode }}' },
          },
        ],
        stepImages: [],
      },
      config,
      placement,
      runnerId: 9,
      serviceCommands: { db: { entrypoint: ['docker-entrypoint.sh'], cmd: ['postgres'] } },
    });
    const db = pod.spec!.containers.find((c) => c.name === 'svc-db')!;
    expect(heldByAgent(db)).toBe(true);
    expect(db.command).toEqual([
      AGENT.binary,
      'serve',
      '--socket',
      '/__w/_eci/agents/svc-db.sock',
      '--token-file',
      AGENT.token,
      '--state-dir',
      '/__w/_eci/agents/svc-db',
      '--hold',
      '--',
      'docker-entrypoint.sh',
    ]);
    expect(db.args).toEqual(['postgres']);
    expect(heldDefault(db)).toEqual({ entrypoint: ['docker-entrypoint.sh'], cmd: ['postgres'] });
    expect(db.env).toBeUndefined();
    expect(db.volumeMounts).toEqual([
      { name: 'work', mountPath: '/__w' },
      { name: AGENT.volume, mountPath: AGENT.dir, readOnly: true },
    ]);
    const text = JSON.stringify(pod);
    for (const leaked of ['secrets.', 'matrix.', 'POSTGRES_PASSWORD', 'TOKEN']) expect(text).not.toContain(leaked);
    // A job of services alone still gets the agent installed.
    const servicesOnly = buildRunnerPod({
      job,
      plan: { services: [{ name: 'db', image: 'postgres:16', env: {} }], stepImages: [] },
      config,
      placement,
      runnerId: 9,
      serviceCommands: { db: { entrypoint: [], cmd: ['postgres'] } },
    });
    expect(servicesOnly.spec!.initContainers!.map((c) => c.name)).toContain(CONTAINER.agentInit);
  });

  it('runs a service whose image config could not be read with its image command and only literal env', () => {
    const pod = buildRunnerPod({
      job,
      plan: {
        services: [{ name: 'db', image: 'private/db:1', env: { PASSWORD: '${{ secrets.PG }}', MODE: 'fast' } }],
        stepImages: [],
        unresolved: 'services.db: cannot read the config of private/db:1 (…)',
      },
      config,
      placement,
      runnerId: 9,
      serviceCommands: {},
    });
    const db = pod.spec!.containers.find((c) => c.name === 'svc-db')!;
    expect(servesAgent(db)).toBe(false);
    expect(db.command).toBeUndefined();
    expect(db.env).toEqual([{ name: 'MODE', value: 'fast' }]);
    expect(pod.metadata!.annotations!['eci-virtual.dev/plan-problem']).toContain('services.db');
  });

  it('runs the step agent in the job and docker:// step containers, installed without a shell', () => {
    const pod = buildRunnerPod({
      job,
      plan: {
        jobKey: 'test',
        container: { image: 'node:20', env: {} },
        services: [{ name: 'db', image: 'postgres:16', env: {} }],
        stepImages: ['distroless:1'],
      },
      config,
      placement,
      runnerId: 9,
    });
    const spec = pod.spec!;
    const install = spec.initContainers!.find((c) => c.name === CONTAINER.agentInit)!;
    expect([install.image, install.command]).toEqual(['hooks:1', [AGENT.imageBinary, 'install', AGENT.dir]]);
    expect(install.volumeMounts).toEqual([{ name: AGENT.volume, mountPath: AGENT.dir }]);
    expect(spec.volumes).toContainEqual({ name: AGENT.volume, emptyDir: {} });
    const byName = (n: string) => spec.containers.find((c) => c.name === n)!;
    for (const name of ['job', 'step-0']) {
      const c = byName(name);
      expect(servesAgent(c)).toBe(true);
      expect(c.command).toEqual([
        AGENT.binary,
        'serve',
        '--socket',
        `/__w/_eci/agents/${name}.sock`,
        '--token-file',
        AGENT.token,
        '--state-dir',
        `/__w/_eci/agents/${name}`,
      ]);
      expect(c.volumeMounts).toContainEqual({ name: AGENT.volume, mountPath: AGENT.dir, readOnly: true });
    }
    // Services without a known image command keep it; the runner drives the agents and reads the token.
    expect(byName('svc-db').command).toBeUndefined();
    expect(servesAgent(byName('svc-db'))).toBe(false);
    expect(byName('runner').volumeMounts).toContainEqual({ name: AGENT.volume, mountPath: AGENT.dir, readOnly: true });
    // Every socket path, as the runner sees it under its work folder, fits a unix socket address.
    for (const name of ['job', 'step-0'])
      expect(agentSocketPath(config.runner.workDir, name).length).toBeLessThanOrEqual(UNIX_SOCKET_PATH_MAX);
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
    expect(pod.spec!.volumes!.map((v) => v.name)).not.toContain(AGENT.volume);
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
