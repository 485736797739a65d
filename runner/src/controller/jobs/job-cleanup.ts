/**
 * Removes everything one runner slot of a job left behind (pod, JIT Secret, ServiceAccount, Role, RoleBinding, the
 * pod's workload pods) and its runner. `slot` is the slot key (naming.ts; a job id is its first slot).
 */
import { apiStatus, type KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import type { GitHubClient, RunnerScope } from '../github/github-client.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { COMPONENT, LABEL } from '@eci-virtual/contract';
import { jitSecretName, jobOfSlot, jobResourceName } from './naming.js';

const workloadsOf = (runnerPod: string) => `${LABEL.component}=${COMPONENT.workload},${LABEL.runnerPod}=${runnerPod}`;

const ignoreMissing = (err: unknown) => {
  if (apiStatus(err) !== 404) throw err;
};

/**
 * The runner a cleanup still has to deregister: none when GitHub says the runner took a job that has completed — a
 * JIT runner is ephemeral and GitHub removes it after its one job ("Create configuration for a just-in-time runner",
 * https://docs.github.com/rest/actions/self-hosted-runners), so a DELETE would spend a write (5 of the 900 points a
 * minute GitHub allows an endpoint) on a 404.
 */
export function runnerLeftBehind(
  runnerId: number | undefined,
  took: Pick<WorkflowJob, 'status'> | undefined,
): number | undefined {
  return took?.status === 'completed' ? undefined : runnerId;
}

export interface CleanupDeps {
  kube: KubeClients;
  github: GitHubClient;
  namespace: string;
  scope: RunnerScope;
  log: Logger;
  /**
   * Whether runner pods may have workload pods (`workloads.controllerUrl` is set). Without, the two deletecollection
   * calls are skipped: each makes the API server list every pod (Secret) of the namespace, at 1,000 running jobs
   * a thousand objects per cleanup for nothing. A workload left from a time the feature was on still goes: it is
   * owned by its runner pod, and the garbage collector deletes it after the pod.
   */
  workloads: boolean;
}

export async function cleanupJob(deps: CleanupDeps, slot: string, runnerId?: number): Promise<void> {
  const { kube, namespace: ns } = deps;
  const name = jobResourceName(slot);
  await Promise.all([
    kube.core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 5 }).catch(ignoreMissing),
    kube.core.deleteNamespacedSecret({ name: jitSecretName(slot), namespace: ns }).catch(ignoreMissing),
    kube.core.deleteNamespacedServiceAccount({ name, namespace: ns }).catch(ignoreMissing),
    kube.rbac.deleteNamespacedRole({ name, namespace: ns }).catch(ignoreMissing),
    kube.rbac.deleteNamespacedRoleBinding({ name, namespace: ns }).catch(ignoreMissing),
    // The pod's workload pod and its Secrets, at once (they are owned by the pod: the garbage collector would follow
    // once the pod is gone, seconds later).
    ...(deps.workloads
      ? [
          kube.core.deleteCollectionNamespacedPod({
            namespace: ns,
            labelSelector: workloadsOf(name),
            gracePeriodSeconds: 5,
          }),
          kube.core.deleteCollectionNamespacedSecret({ namespace: ns, labelSelector: workloadsOf(name) }),
        ]
      : []),
  ]);
  // Ephemeral runners deregister themselves after their job; this covers runners that never got one.
  if (runnerId !== undefined)
    await deps.github.deleteRunner(deps.scope, runnerId).catch((err) =>
      deps.log.warn('could not deregister runner', {
        job: jobOfSlot(slot),
        slot,
        runnerId,
        err: (err as Error).message,
      }),
    );
  deps.log.info('job cleaned up', { job: jobOfSlot(slot), slot, pod: name });
}
