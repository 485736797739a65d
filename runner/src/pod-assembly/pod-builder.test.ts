import { describe, expect, it } from '@jest/globals';
import { AGENT, agentServeCommand, ANNOTATION, LABEL } from '@eci-virtual/contract';
import { buildJobPod, serviceSecretEnv, type JobPodInput } from './pod-builder.js';
import type { ServiceSpec } from './pod-parts.js';

const input = (envCount: number): JobPodInput => ({
  name: 'job-abc',
  namespace: 'ci',
  repository: 'octo/repo',
  workflow: 'ci.yml',
  jobName: 'build (1, linux)',
  runId: '123',
  jobId: 'build',
  jobImage: 'registry/debian:bookworm',
  services: [{ name: 'redis', image: 'registry/redis:7', env: { A: '1' } }],
  sharedEnv: Array.from(
    { length: envCount },
    (_, i) => [`VAR_${i}`, `value-${i}-${'x'.repeat(40)}`] as [string, string],
  ),
  secretName: 'job-abc-secrets',
  placement: 'virtual',
});

describe('buildJobPod', () => {
  it('keeps the pod spec small and independent of the env count (10 steps × 100 variables)', () => {
    const small = buildJobPod(input(0));
    const large = buildJobPod(input(10 * 100));
    const specSize = (p: ReturnType<typeof buildJobPod>) => Buffer.byteLength(JSON.stringify(p.spec));
    expect(specSize(large)).toBe(specSize(small));
    expect(specSize(large)).toBeLessThan(16 * 1024);
    expect(large.metadata?.annotations?.[ANNOTATION.env]).toContain("export VAR_999='value-999-");
  });

  it('places the job on the virtual node with services on localhost and secrets only in the job container', () => {
    const pod = buildJobPod(input(1));
    expect(pod.spec?.nodeSelector).toEqual({ type: 'virtual-kubelet' });
    expect(pod.spec?.tolerations?.[0]?.key).toBe('virtual-kubelet.io/provider');
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['job', 'svc-redis']);
    expect(pod.spec?.hostAliases).toEqual([{ ip: '127.0.0.1', hostnames: ['redis'] }]);
    const [job, svc] = pod.spec!.containers;
    expect(job?.volumeMounts?.map((m) => m.mountPath)).toEqual(['/__w', '/github', '/__eci/env', '/__eci/secrets']);
    expect(svc?.volumeMounts).toBeUndefined();
    expect(pod.metadata?.labels?.[LABEL.repo]).toBe('octo.repo');
    expect(JSON.stringify(pod)).not.toContain('s3cret');
  });

  it('serves the step agent in the job and docker:// step containers when given an agent image', () => {
    const plain = buildJobPod({ ...input(0), stepContainers: [{ name: 'step-1', image: 'alpine' }] });
    expect(plain.spec?.initContainers).toBeUndefined();
    expect(plain.spec?.containers[0]?.command?.[0]).toBe('/bin/sh');
    const pod = buildJobPod({
      ...input(0),
      stepContainers: [{ name: 'step-1', image: 'alpine' }],
      agentImage: 'registry/eci-virtual/agent:1',
    });
    expect(pod.spec?.initContainers).toEqual([
      expect.objectContaining({
        image: 'registry/eci-virtual/agent:1',
        command: [AGENT.imageBinary, 'install', AGENT.dir],
      }),
    ]);
    expect(pod.spec?.volumes).toContainEqual({ name: AGENT.volume, emptyDir: {} });
    for (const name of ['job', 'step-1']) {
      const c = pod.spec!.containers.find((x) => x.name === name)!;
      expect(c.command).toEqual(agentServeCommand(name));
      expect(c.volumeMounts).toContainEqual({ name: AGENT.volume, mountPath: AGENT.dir, readOnly: true });
    }
    // Services keep their image's command (the agent does not hold them on this path).
    expect(pod.spec!.containers.find((x) => x.name === 'svc-redis')?.command).toBeUndefined();
  });

  it('brings a Node.js runtime to /__e in the job container only, after the agent, when given a node runtime image', () => {
    const pod = buildJobPod({
      ...input(0),
      stepContainers: [{ name: 'step-1', image: 'alpine' }],
      agentImage: 'registry/eci-virtual/agent:1',
      nodeRuntimeImage: 'registry/eci-virtual/node-runtime:v20',
    });
    expect(pod.spec?.initContainers?.map((c) => c.image)).toEqual([
      'registry/eci-virtual/agent:1',
      'registry/eci-virtual/node-runtime:v20',
    ]);
    expect(pod.spec?.initContainers?.[1]).toMatchObject({
      command: ['/bin/sh', '-c', 'cp -R /eci-node/. "$1"/', 'copy-node', '/__e'],
      volumeMounts: [{ name: 'externals', mountPath: '/__e' }],
    });
    expect(pod.spec?.volumes).toContainEqual({ name: 'externals', emptyDir: {} });
    const mounts = (name: string) => pod.spec!.containers.find((c) => c.name === name)!.volumeMounts ?? [];
    expect(mounts('job')).toContainEqual({ name: 'externals', mountPath: '/__e', readOnly: true });
    expect(mounts('step-1').some((m) => m.name === 'externals')).toBe(false);
    expect(buildJobPod({ ...input(0), nodeRuntimeImage: 'n' }).spec?.initContainers?.map((c) => c.name)).toEqual([
      'runner-externals',
    ]);
  });

  it('adds the idle kaniko container with the workspace, working in a directory its builds do not delete', () => {
    const pod = buildJobPod({ ...input(0), kaniko: { image: 'registry/eci-virtual/kaniko:v1.27.5' } });
    const kaniko = pod.spec?.containers.find((c) => c.name === 'kaniko');
    expect(kaniko?.command?.[0]).toBe('/busybox/sh');
    expect(kaniko?.workingDir).toBe('/__w');
    expect(kaniko?.volumeMounts?.map((m) => m.mountPath)).toContain('/__w');
    expect(kaniko?.securityContext?.privileged).toBeFalsy();
    expect(kaniko?.command?.slice(3)).toEqual(['eci-spool-agent', '/__w/_temp/_eci/spool/kaniko', '/busybox/sh']);
    expect(pod.spec?.volumes?.some((v) => v.name === 'kaniko-registry')).toBe(false);
  });

  it('mounts registry credentials into the kaniko container only', () => {
    const pod = buildJobPod({ ...input(0), kaniko: { image: 'k', registrySecret: 'push-creds' } });
    const mounted = (name: string) =>
      pod.spec?.containers.find((c) => c.name === name)?.volumeMounts?.some((m) => m.name === 'kaniko-registry');
    expect(mounted('kaniko')).toBe(true);
    expect(mounted('job')).toBe(false);
    const vol = pod.spec?.volumes?.find((v) => v.name === 'kaniko-registry');
    expect(vol?.secret).toEqual({
      secretName: 'push-creds',
      items: [{ key: 'config.json', path: 'config.json' }],
      defaultMode: 0o400,
    });
  });

  it('rejects names Kubernetes would refuse', () => {
    expect(() => buildJobPod({ ...input(0), name: 'Job_1' })).toThrow(/not a valid DNS label/);
    expect(() =>
      buildJobPod({
        ...input(0),
        services: [
          { name: 'db', image: 'a' },
          { name: 'db', image: 'b' },
        ],
      }),
    ).toThrow(/defined twice/);
  });

  it("puts a service's secret-bearing env in the job's Secret by reference, never in the spec", () => {
    const evaluated: ServiceSpec[] = [
      {
        name: 'db',
        image: 'postgres:16',
        env: { POSTGRES_PASSWORD: 'pw-s3cret', URL: 'pg://u:pw-s3cret@db', MODE: 'fast' },
      },
      { name: 'cache', image: 'redis:7', env: { A: '1' } },
    ];
    const { services, data } = serviceSecretEnv(evaluated, { PG: 'pw-s3cret' }, 'job-abc-secrets');
    const pod = buildJobPod({ ...input(0), services });
    const text = JSON.stringify(pod);
    expect(text).not.toContain('pw-s3cret');
    const db = pod.spec!.containers.find((c) => c.name === 'svc-db')!;
    expect(db.env).toEqual([
      { name: 'MODE', value: 'fast' },
      { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'job-abc-secrets', key: 'service.db.0' } } },
      { name: 'URL', valueFrom: { secretKeyRef: { name: 'job-abc-secrets', key: 'service.db.1' } } },
    ]);
    expect(data).toEqual({ 'service.db.0': 'pw-s3cret', 'service.db.1': 'pg://u:pw-s3cret@db' });
    expect(pod.spec!.containers.find((c) => c.name === 'svc-cache')!.env).toEqual([{ name: 'A', value: '1' }]);
    // The job container mounts only the job's env file of that Secret, not the services' keys.
    const secretVolume = pod.spec!.volumes!.find((v) => v.name === 'eci-secrets')!;
    expect(secretVolume.secret!.items).toEqual([{ key: 'env', path: 'env' }]);
  });
});
