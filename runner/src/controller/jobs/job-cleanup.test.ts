import { describe, expect, it } from '@jest/globals';
import type { KubeClients } from '../../kube/client.js';
import { createLogger } from '../../observability/logger.js';
import type { GitHubClient } from '../github/github-client.js';
import { cleanupJob, runnerLeftBehind } from './job-cleanup.js';

describe('cleanupJob', () => {
  /** Records each API call as `<verb> <resource> <name or selector>`; every object is already gone (404). */
  function recorder() {
    const calls: string[] = [];
    const gone = Object.assign(new Error('not found'), { code: 404 });
    const call = (what: string) => async (a: { name?: string; labelSelector?: string }) => {
      await Promise.resolve();
      calls.push(`${what} ${a.name ?? a.labelSelector}`);
      if (a.name) throw gone;
      return {};
    };
    const kube = {
      core: {
        deleteNamespacedPod: call('delete pod'),
        deleteNamespacedSecret: call('delete secret'),
        deleteNamespacedServiceAccount: call('delete serviceaccount'),
        deleteCollectionNamespacedPod: call('deletecollection pods'),
        deleteCollectionNamespacedSecret: call('deletecollection secrets'),
      },
      rbac: {
        deleteNamespacedRole: call('delete role'),
        deleteNamespacedRoleBinding: call('delete rolebinding'),
      },
    } as unknown as KubeClients;
    const removed: number[] = [];
    const github = {
      deleteRunner: async (_scope: unknown, id: number) => {
        await Promise.resolve();
        removed.push(id);
      },
    } as unknown as GitHubClient;
    const log = createLogger({}, { level: 'error', write: () => undefined });
    const deps = { kube, github, log, namespace: 'ci', scope: { kind: 'repo' as const, repo: 'o/r' } };
    return { calls, removed, deps };
  }

  it("removes the slot's objects and runner, tolerating objects already gone", async () => {
    const { calls, removed, deps } = recorder();
    await cleanupJob({ ...deps, workloads: false }, '42', 7);
    expect(calls.sort()).toEqual(
      [
        'delete pod eci-job-42',
        'delete secret eci-job-42-jit',
        'delete serviceaccount eci-job-42',
        'delete role eci-job-42',
        'delete rolebinding eci-job-42',
      ].sort(),
    );
    expect(removed).toEqual([7]);
  });

  it("deletes the runner pod's workload pods and Secrets only where workloads are on", async () => {
    const { calls, deps } = recorder();
    await cleanupJob({ ...deps, workloads: true }, '42');
    expect(calls.filter((c) => c.startsWith('deletecollection'))).toEqual([
      'deletecollection pods eci-virtual.dev/component=workload,eci-virtual.dev/runner-pod=eci-job-42',
      'deletecollection secrets eci-virtual.dev/component=workload,eci-virtual.dev/runner-pod=eci-job-42',
    ]);
  });

  it('leaves a runner alone once GitHub says its job completed (GitHub removed it), else deregisters it', () => {
    expect(runnerLeftBehind(7, { status: 'completed' })).toBeUndefined();
    expect(runnerLeftBehind(7, { status: 'in_progress' })).toBe(7);
    expect(runnerLeftBehind(7, undefined)).toBe(7);
    expect(runnerLeftBehind(undefined, undefined)).toBeUndefined();
  });
});
