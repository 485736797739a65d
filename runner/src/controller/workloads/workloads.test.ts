import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { COMPONENT, LABEL, WORKLOAD_AGENT, workloadTokenSubject } from '@eci-virtual/contract';
import { createHmac } from 'node:crypto';
import { parseControllerConfig } from '../config.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { dockerConfigJson, registryOf } from './pull-secret.js';
import { RunnerJobs } from './runner-jobs.js';
import { buildWorkloadPod, pullSecret } from './workload-pod.js';
import { parseWorkloadRequest, sameShape } from './workload-service.js';
import { deriveWorkloadKey, verifyWorkloadToken, workloadToken } from './workload-token.js';

const config = parseControllerConfig(
  {
    scope: { repositories: ['o/r'] },
    runner: { image: 'runner:1', hooksImage: 'hooks:1' },
    namespace: 'ci',
    workloads: { controllerUrl: 'http://ctrl:8080/' },
  },
  { GITHUB_TOKEN: 'ghp_x', ECI_VIRTUAL_WEBHOOK_SECRET: 'whsec' },
);
const job = { id: 77, runId: 7, repo: 'o/r', name: 'b', workflowName: 'CI', labels: [] } as unknown as WorkflowJob;
const placement = { nodeType: 'virtual' as const, cpu: '2', memory: '3Gi', nodeSelector: {}, annotations: {} };

describe('workload token', () => {
  it('is an HMAC of the runner pod under a key derived from the webhook secret, checked in constant time', () => {
    const key = deriveWorkloadKey('whsec');
    // The key is not the webhook secret itself (domain separation), and the token signs namespace and pod.
    expect(key.equals(Buffer.from('whsec'))).toBe(false);
    const token = workloadToken(key, 'ci', 'eci-job-1');
    expect(token).toBe(createHmac('sha256', key).update(workloadTokenSubject('ci', 'eci-job-1')).digest('hex'));
    expect(verifyWorkloadToken(key, 'ci', 'eci-job-1', `Bearer ${token}`)).toBe(true);
    expect(verifyWorkloadToken(key, 'ci', 'eci-job-2', `Bearer ${token}`)).toBe(false);
    expect(verifyWorkloadToken(key, 'other', 'eci-job-1', `Bearer ${token}`)).toBe(false);
    expect(verifyWorkloadToken(deriveWorkloadKey('x'), 'ci', 'eci-job-1', `Bearer ${token}`)).toBe(false);
    expect(verifyWorkloadToken(key, 'ci', 'eci-job-1', undefined)).toBe(false);
    expect(verifyWorkloadToken(key, 'ci', 'eci-job-1', `Bearer ${token.slice(2)}`)).toBe(false);
  });
});

describe('pull credentials', () => {
  it('makes a config.json of the containers with credentials, keyed by the registry', () => {
    expect(registryOf('node:20')).toBe('https://index.docker.io/v1/');
    expect(registryOf('127.0.0.1:5001/busybox:1')).toBe('127.0.0.1:5001');
    expect(registryOf('ghcr.io/a/b')).toBe('ghcr.io');
    expect(registryOf('library/node')).toBe('https://index.docker.io/v1/');
    expect(dockerConfigJson([{ image: 'node:20' }, { image: 'x', registry: null }])).toBeUndefined();
    const json = dockerConfigJson([
      { image: 'reg.example:5000/app:1', registry: { username: 'u', password: 'p' } },
      { image: 'db:1', registry: { username: 'v', password: 'q', serverUrl: 'ghcr.io' } },
    ]);
    expect(JSON.parse(json!)).toEqual({
      auths: {
        'reg.example:5000': { username: 'u', password: 'p', auth: Buffer.from('u:p').toString('base64') },
        'ghcr.io': { username: 'v', password: 'q', auth: Buffer.from('v:q').toString('base64') },
      },
    });
  });
});

describe('workload pod', () => {
  const build = () =>
    buildWorkloadPod({
      job,
      plan: { jobKey: 'b', services: [{ name: 'db', image: 'postgres:16', env: {} }], stepImages: ['alpine:3'] },
      config,
      placement,
      pullPolicy: 'IfNotPresent',
      runnerPod: { name: 'eci-job-42', uid: 'uid-42' },
      container: {
        image: 'debian:12',
        environmentVariables: { SECRET_VALUE: 's3cr3t', 'bad name': 'x' },
        registry: { username: 'u', password: 'hunter2' },
      },
      services: [{ image: 'postgres:17', environmentVariables: { POSTGRES_PASSWORD: 'pw-from-secret' } }],
      agentToken: 'a'.repeat(64),
      pullSecret: 'eci-job-77-w-pull',
    });

  it("holds the job's own images and resources, agents on TCP, owned by the runner pod", () => {
    const { pod, agents, services } = build();
    const spec = pod.spec!;
    expect(pod.metadata!.name).toBe('eci-job-77-w');
    expect(pod.metadata!.labels).toMatchObject({
      [LABEL.component]: COMPONENT.workload,
      [LABEL.jobId]: '77',
      [LABEL.runnerPod]: 'eci-job-42',
    });
    expect(pod.metadata!.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Pod', name: 'eci-job-42', uid: 'uid-42' }),
    ]);
    expect(spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['job', 'debian:12'],
      ['svc-db', 'postgres:17'],
      ['step-0', 'alpine:3'],
    ]);
    expect(spec.containers[0]!.resources).toEqual({
      requests: { cpu: '2', memory: '3Gi' },
      limits: { cpu: '2', memory: '3Gi' },
    });
    expect(spec.containers[0]!.command).toContain(`0.0.0.0:${WORKLOAD_AGENT.firstPort}`);
    expect(spec.containers[2]!.command).toContain(`0.0.0.0:${WORKLOAD_AGENT.firstPort + 1}`);
    expect(agents).toEqual([
      { container: 'job', image: 'debian:12', port: WORKLOAD_AGENT.firstPort },
      { container: 'step-0', image: 'alpine:3', port: WORKLOAD_AGENT.firstPort + 1 },
    ]);
    expect(services).toEqual([{ container: 'svc-db', name: 'db' }]);
    expect(spec.hostAliases).toEqual([{ ip: '127.0.0.1', hostnames: ['db'] }]);
    expect(spec.imagePullSecrets).toEqual([{ name: 'eci-job-77-w-pull' }]);
    expect(spec.initContainers!.map((c) => c.name)).toEqual(['eci-agent', 'runner-externals']);
    expect(spec.nodeSelector).toEqual({ type: 'virtual-kubelet' });
  });

  it('keeps every evaluated value and the token out of the pod spec', () => {
    const { pod, secret } = build();
    const text = JSON.stringify(pod);
    for (const value of ['s3cr3t', 'pw-from-secret', 'a'.repeat(64), 'hunter2']) expect(text).not.toContain(value);
    expect(secret.stringData).toEqual({
      token: 'a'.repeat(64),
      'job.SECRET_VALUE': 's3cr3t',
      'svc-db.POSTGRES_PASSWORD': 'pw-from-secret',
    });
    expect(pod.spec!.containers[1]!.env).toEqual([
      {
        name: 'POSTGRES_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'eci-job-77-w', key: 'svc-db.POSTGRES_PASSWORD' } },
      },
    ]);
    const pull = pullSecret({ job, config, runnerPod: { name: 'eci-job-42', uid: 'uid-42' } }, '{"auths":{}}');
    expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
    expect(pull.metadata!.ownerReferences![0]!.name).toBe('eci-job-42');
  });
});

describe('matchmaking', () => {
  const pod = (steps: string[], kaniko: boolean, cpu = '2', memory = '3Gi'): V1Pod => ({
    spec: {
      containers: [
        { name: 'runner', resources: { limits: { cpu, memory } } },
        { name: 'job', image: 'node:20' },
        ...steps.map((image, i) => ({ name: `step-${i}`, image })),
        ...(kaniko ? [{ name: 'kaniko', image: 'k' }] : []),
      ],
    },
  });
  const plan = (stepImages: string[]) => ({ services: [], stepImages });

  it('counts step images, kaniko and resources as the shape', () => {
    expect(sameShape(pod(['a', 'b'], false), plan(['b', 'a']), placement, false)).toBe(true);
    expect(sameShape(pod(['a'], false), plan(['a', 'b']), placement, false)).toBe(false);
    expect(sameShape(pod([], true), plan([]), placement, false)).toBe(false);
    expect(sameShape(pod([], false, '1'), plan([]), placement, false)).toBe(false);
  });

  it('validates a request before anything else', () => {
    expect(() => parseWorkloadRequest({ pod: 'Bad_Name' })).toThrow(/pod/);
    expect(() => parseWorkloadRequest({ pod: 'p', container: { image: '' } })).toThrow(/image/);
    expect(() =>
      parseWorkloadRequest({ pod: 'p', services: [{ image: 'x', environmentVariables: { A: 1 } }] }),
    ).toThrow(/environmentVariables/);
    expect(
      parseWorkloadRequest({
        pod: 'eci-job-1',
        imagesMatch: true,
        container: { image: 'x', registry: null, portMappings: [] },
        hints: { runId: 5, jobKey: 'b', extra: 1 },
      }),
    ).toEqual({
      pod: 'eci-job-1',
      imagesMatch: true,
      container: { image: 'x' },
      services: [],
      hints: { runId: 5, jobKey: 'b' },
    });
  });

  it('learns which job a runner took from webhooks, else from the API, within a bound', async () => {
    const jobs = new RunnerJobs();
    const calls: (number | undefined)[] = [];
    const api: { answer?: WorkflowJob } = {};
    const github = {
      findRunnerJob: async (_repo: string, _runner: string, runId?: number) => {
        calls.push(runId);
        return api.answer;
      },
    };
    jobs.note({ ...job, runnerName: 'eci-virtual-1' });
    expect((await jobs.find(github, 'o/r', 'eci-virtual-1')).id).toBe(77);
    expect(calls).toEqual([]);
    expect(jobs.runnerOf('77')).toBe('eci-virtual-1');
    await expect(
      jobs.find(github, 'o/r', 'eci-virtual-2', { runId: 7, timeoutMs: 30, intervalMs: 10 }),
    ).rejects.toThrow(/does not show a job taken by runner eci-virtual-2/);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    api.answer = { ...job, id: 78, runnerName: 'eci-virtual-2' };
    expect((await jobs.find(github, 'o/r', 'eci-virtual-2', { runId: 7 })).id).toBe(78);
    expect(jobs.known('eci-virtual-2')?.id).toBe(78);
  });
});
