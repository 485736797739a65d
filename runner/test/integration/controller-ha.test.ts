/**
 * Controller high availability on the real control plane: two `eci-virtual controller` processes elect a leader on
 * their Lease, behind one webhook address (a round-robin front standing for the Service). The leader is killed with
 * SIGKILL in the middle of a burst of jobs; the follower must take over within 15 s, every delivery — including
 * those the follower took while nobody led — must be acted on, every job must complete, and no job may get a
 * second pod. The poller is blinded (GitHub's run listing answers 503), so only the handed-over webhooks can launch.
 * Jobs are bound (`eci-bind-*`), so each runs on its own pod's runner and a lost launch cannot hide behind a swap.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENT, LABEL } from '@eci-virtual/contract';
import { repoRoot } from '../../scripts/lib/paths.js';
import type { KubeClients } from '../../src/kube/client.js';
import type { EmuJob } from '../github-emulator/state.js';
import { ControllerStack } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';

jest.setTimeout(600_000);

const REPO = 'octo-org/ha';
const WORKFLOW = readFileSync(join(repoRoot, 'runner/test/workflows/github/ci.yml'), 'utf8');
const BURST = 8;

describe('controller high availability', () => {
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  let kube: KubeClients;

  beforeAll(async () => {
    t = await startTestNode('ha');
    kube = t.kube;
    stack = new ControllerStack({
      repo: REPO,
      namespace: t.ns,
      nodeName: t.nodeName,
      replicas: 2,
      pollIntervalSeconds: 3600,
    });
    // GitHub's run listing fails: the poller finds nothing, so a lost hand-over would leave its job unlaunched.
    stack.emulator.inject({ kind: 'status', status: 503 }, 1_000_000, /\/actions\/runs$/);
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
  });

  const queue = (n: number): Promise<EmuJob> =>
    stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: WORKFLOW,
      name: 'test (busybox)',
      // Bound: each job's runner takes that job only. Unbound, a runner may take another job of the burst, and the
      // job at the end of such a chain waits for the poller (blinded here) — the swap problem, not a hand-over one.
      labels: ['self-hosted', 'eci-virtual', `eci-bind-ha-${n}`],
      message: {
        container: { image: (readTestEnv().engine.images as Record<string, string>).busybox! },
        steps: [{ kind: 'script', name: 'work', run: `echo "job ${n} on $(cat /etc/hostname)"; sleep 3; echo done` }],
      },
    });

  it('fails over within 15 s when the leader dies mid-burst, loses no delivery and launches no job twice', async () => {
    const s = stack!;
    const ns = t!.ns;
    // Every pod ever created for a job, by uid: a second launch of a job would show a second uid.
    const podUids = new Map<string, Set<string>>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const pods = await kube.core
          .listNamespacedPod({ namespace: ns, labelSelector: `${LABEL.component}=${COMPONENT.runnerJob}` })
          .catch(() => undefined);
        for (const p of pods?.items ?? []) {
          const job = p.metadata?.labels?.[LABEL.jobId] ?? '';
          podUids.set(job, (podUids.get(job) ?? new Set()).add(p.metadata!.uid!));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const leader = await s.leader();
    const follower = 1 - leader;
    const jobs: EmuJob[] = [];
    for (let n = 0; n < BURST / 2; n++) jobs.push(await queue(n));
    // Mid-burst: some pods exist, others are being launched.
    await until(async () => expect(podUids.size).toBeGreaterThanOrEqual(2), 60_000, 50);
    await s.kill(leader);
    const killedAt = Date.now();
    // The rest of the burst arrives while nobody leads: the follower takes these deliveries.
    for (let n = BURST / 2; n < BURST; n++) jobs.push(await queue(n));
    const taken = await s.leader(30_000, [follower]);
    const failoverMs = Date.now() - killedAt;
    process.stderr.write(
      `[controller-ha] leader (replica ${leader}) killed; replica ${taken} leads ${failoverMs} ms later\n`,
    );
    expect(taken).toBe(follower);
    expect(failoverMs).toBeLessThan(15_000);

    const handedOver = s.front!.log.filter(
      (e) => e.path === '/webhook' && e.at >= killedAt && e.at < killedAt + failoverMs,
    );
    expect(handedOver.length).toBeGreaterThanOrEqual(BURST / 2);
    expect(handedOver.every((e) => e.replica === follower && e.status === 202)).toBe(true);

    try {
      for (const job of jobs)
        await until(async () => expect(s.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 180_000);
    } catch (err) {
      const seen = jobs.map((j) => {
        const e = s.emulator.state.jobs.get(j.id)!;
        return `${j.id} ${e.status} ${e.conclusion} runner=${e.runner_name} pods=${podUids.get(String(j.id))?.size ?? 0}`;
      });
      process.stderr.write(
        `[controller-ha] jobs:\n${seen.join('\n')}\nregistered: ${s.emulator.registeredRunners.join(' ')}\n`,
      );
      throw err;
    }
    const conclusions = jobs.map((j) => s.emulator.state.jobs.get(j.id)!.conclusion);
    expect(conclusions).toEqual(jobs.map(() => 'success'));
    // Each delivery was acted on and marked done; none is left pending.
    await until(async () => {
      const pending = await kube.core.listNamespacedConfigMap({
        namespace: ns,
        labelSelector: `${LABEL.component}=${COMPONENT.webhookDelivery},${LABEL.deliveryState}=pending`,
      });
      expect(pending.items.map((c) => c.metadata!.name)).toEqual([]);
    }, 60_000);
    // Everything is cleaned up by the new leader, and no job ever had a second pod.
    await until(async () => {
      const pods = await kube.core.listNamespacedPod({
        namespace: ns,
        labelSelector: `${LABEL.component}=${COMPONENT.runnerJob}`,
      });
      expect(pods.items).toHaveLength(0);
    }, 120_000);
    watching = false;
    await watcher;
    const launched = [...podUids.entries()].filter(([id]) => jobs.some((j) => String(j.id) === id));
    expect(launched.map(([id, uids]) => [id, uids.size]).sort()).toEqual(jobs.map((j) => [String(j.id), 1]).sort());
    // Every job ran on the runner of its own pod. A slot is registered twice only when the killed leader registered
    // it and died before its pod existed: the new leader removes that stale registration (GitHub refuses a second
    // runner of a live name with 409) and registers again, and the job runs on the second one.
    for (const j of jobs) {
      const job = s.emulator.state.jobs.get(j.id)!;
      expect(job.runner_name).toBe(`eci-virtual-${j.id}`);
      const regs = s.emulator.registrations.filter((r) => r.name === `eci-virtual-${j.id}`);
      expect(regs.length === 1 || regs.length === 2).toBe(true);
      expect(job.runner_id).toBe(regs.at(-1)!.id);
    }
    expect(s.emulator.state.runners.size).toBe(0);

    const lease = await kube.coordination.readNamespacedLease({ name: 'eci-virtual-controller', namespace: ns });
    expect(lease.spec).toMatchObject({ holderIdentity: `${ns}-${follower}` });
    expect(lease.spec!.leaseTransitions).toBeGreaterThanOrEqual(1);
  });
});
