/**
 * The image-cache autopilot through the controller on `--backend eci`, against the ECI emulator (container groups on
 * Podman): two jobs of one repository run with the same images; the controller — the leading replica, passes every
 * 2 s — learns the pod's image set from its job history, creates an ECI image cache holding it (CreateImageCache,
 * tagged as the autopilot's), and the next job's pod, which asks for automatic matching (`k8s.aliyun.com/eci-auto-imc`),
 * starts from that cache: its container group reports `SuccessfulHitImageCache` with the cache's id, and the job's
 * record says a cache served it. The portal's `/v1/image-cache/autopilot` shows the decision and its reason. Two
 * controller replicas share a PostgreSQL job history: only the one holding the Lease runs the autopilot (one cache
 * created, not two).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ECI_POD_ANNOTATION, type AutopilotResponse, type JobsResponse } from '@eci-virtual/contract';
import { startEmulatorOnEngine } from '../eci-emulator/on-engine.js';
import type { EmulatedGroup } from '../eci-emulator/groups.js';
import type { EciEmulator } from '../eci-emulator/server.js';
import { ControllerStack, PORTAL_TOKEN } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startPostgres, type PostgresServer } from '../harness/postgres-server.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';

jest.setTimeout(420_000);

const REPO = 'octo-org/autopilot';

const flag = (args: string[], name: string): string => {
  const i = args.indexOf(name);
  if (i < 0 || !args[i + 1]) throw new Error(`the emulator's node flags have no ${name}`);
  return args[i + 1]!;
};

describe('image-cache autopilot through the controller on --backend eci', () => {
  let emu: EciEmulator | undefined;
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  let pg: PostgresServer;

  beforeAll(async () => {
    const env = readTestEnv();
    const started = await startEmulatorOnEngine({
      dockerHost: env.engine.dockerHost,
      infraImage: env.engine.images.busybox,
      delays: { scheduleMs: 300, pullMs: 1_500, cachedPullMs: 100, imageCacheMs: 1_500 },
    });
    emu = started.emu;
    pg = await startPostgres();
    // The node asks ECI what changed only every 30 s, so it never sees these seconds-long jobs' groups start: their
    // start-up events (the image-cache hit among them) reach the pods only as the groups are deleted, after the
    // controller's cleanup has read the pods' events once.
    t = await startTestNode('ctrlap', [...started.nodeArgs, '--eci-poll-interval', '30s'], undefined, started.nodeEnv);
    const args = started.nodeArgs;
    stack = new ControllerStack({
      repo: REPO,
      namespace: t.ns,
      nodeName: t.nodeName,
      env: { ...started.nodeEnv, ECI_VIRTUAL_HISTORY_URL: await pg.createDatabase('autopilot_history') },
      // Two replicas on one Lease, sharing a PostgreSQL job history: only the leader runs the autopilot.
      replicas: 2,
      extraConfig: {
        history: { driver: 'postgres' },
        imageCacheAutopilot: {
          enabled: true,
          backend: 'eci',
          intervalSeconds: 2,
          // The emulator pulls in 1.5 s: a miss costs little, so any set used twice is worth a cache here.
          minWeight: 0,
          budget: { maxSets: 3, maxTotalGiB: 100 },
          eci: {
            region: flag(args, '--eci-region'),
            vSwitchId: flag(args, '--eci-vswitch'),
            securityGroupId: flag(args, '--eci-security-group'),
            endpoint: flag(args, '--eci-endpoint'),
            cluster: flag(args, '--eci-cluster'),
            quota: 10,
          },
        },
      },
    });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
    await emu?.stop();
    await pg?.stop();
  });

  const runJob = async (n: number) => {
    const { busybox } = readTestEnv().engine.images;
    const job = await stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: [
        'name: CI',
        'on: push',
        'jobs:',
        '  build:',
        '    runs-on: [self-hosted, eci-virtual]',
        `    container: { image: "${busybox}" }`,
        '    steps:',
        '      - run: echo hi',
        '',
      ].join('\n'),
      name: 'build',
      labels: ['self-hosted', 'eci-virtual'],
      message: {
        container: { image: busybox },
        steps: [{ kind: 'script', name: `job ${n}`, run: `echo "job ${n}"` }],
      },
    });
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 180_000, 250);
    expect(stack!.emulator.state.jobs.get(job.id)!.conclusion).toBe('success');
    return job.id;
  };

  const portal = async <T>(path: string, base = stack!.url): Promise<T> => {
    const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${PORTAL_TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  /**
   * The container groups created for this test's job pods, oldest first: the emulator's own objects, collected while
   * they exist (cleanup deletes a job's group; the object keeps its events).
   */
  const seen = new Map<string, EmulatedGroup>();
  const collect = () => {
    for (const g of emu?.groups.all() ?? []) if (g.spec.containers.some((c) => c.name === 'runner')) seen.set(g.id, g);
  };
  const collector = setInterval(collect, 50);
  afterAll(() => clearInterval(collector));
  const jobGroups = () => {
    collect();
    return [...seen.values()].sort((a, b) => a.creationTime.getTime() - b.creationTime.getTime());
  };

  it('learns the hot image set from two jobs, creates an image cache for it, and the next job starts from it', async () => {
    await runJob(1);
    await runJob(2);
    const before = jobGroups();
    expect(before).toHaveLength(2);
    // Pods ask for automatic matching; no cache existed yet, so neither was served by one.
    for (const g of before) {
      expect(g.meta.autoMatchImageCache).toBe(true);
      expect(g.events.some((e) => e.Reason === 'SuccessfulHitImageCache')).toBe(false);
    }

    // The autopilot's cache: tagged as its own, holding every image of the pods (init containers included), Ready.
    await until(
      async () => {
        const ready = emu!.imageCaches
          .list()
          .filter((c) => c.tags.some((tag) => tag.Key === 'eci-virtual/autopilot') && c.status === 'Ready');
        expect(ready).toHaveLength(1);
      },
      60_000,
      250,
    );
    const cache = emu!.imageCaches.list().find((c) => c.tags.some((tag) => tag.Key === 'eci-virtual/autopilot'))!;
    const podImages = [...before[0]!.spec.initContainers, ...before[0]!.spec.containers].map((c) => c.image);
    for (const image of podImages) expect(cache.images).toContain(image);
    expect(cache.tags).toEqual(expect.arrayContaining([{ Key: 'eci-virtual/repo', Value: REPO }]));
    expect(emu!.count('CreateImageCache', 200)).toBe(1);

    const third = await runJob(3);
    const after = jobGroups();
    expect(after).toHaveLength(3);
    const hit = after[2]!.events.find((e) => e.Reason === 'SuccessfulHitImageCache');
    expect(hit?.Message).toContain(cache.id);

    // The job's record says a cache served it (read from the pod's events), and the portal shows why it was made.
    await until(
      async () => {
        const jobs = await portal<JobsResponse>(`/v1/jobs?repo=${REPO}`);
        expect(jobs.jobs.find((j) => j.id === String(third))?.imageCache).toMatchObject({ used: true, id: cache.id });
      },
      30_000,
      500,
    );
    const leader = await stack!.leader();
    const follower = 1 - leader;
    const view = await portal<AutopilotResponse>(`/v1/image-cache/autopilot?repo=${REPO}`, stack!.replicaUrl(leader));
    expect(view).toMatchObject({ enabled: true, backend: 'eci', leader: true, intervalSeconds: 2 });
    // The follower never ran it, and says it does not lead; its portal shows the leader's decisions all the same
    // (they are kept in the shared job history), so the Backstage tab reads the same from either replica.
    const other = await portal<AutopilotResponse>(
      `/v1/image-cache/autopilot?repo=${REPO}`,
      stack!.replicaUrl(follower),
    );
    expect(other).toMatchObject({ enabled: true, leader: false });
    expect(other.decisions.find((d) => d.action === 'create')).toMatchObject({ outcome: 'done', createdId: cache.id });
    expect(readFileSync(stack!.replicaLog(follower), 'utf8')).not.toContain('image cache autopilot started');
    expect(readFileSync(stack!.replicaLog(leader), 'utf8')).toContain('image cache autopilot started');
    const created = view.decisions.find((d) => d.action === 'create');
    expect(created).toMatchObject({ outcome: 'done', createdId: cache.id });
    expect(created!.reason.length).toBeGreaterThan(0);
    expect(created!.images).toEqual([...cache.images].sort());
    // Later passes keep it (a repeated no-op decision is folded, not repeated).
    expect(view.decisions.some((d) => d.action === 'keep')).toBe(true);
    expect(ECI_POD_ANNOTATION.autoImageCache).toBe('k8s.aliyun.com/eci-auto-imc');
  });
});
