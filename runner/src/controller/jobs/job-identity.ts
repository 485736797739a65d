/**
 * The per-job identity: a ServiceAccount whose Role allows reading and exec'ing into ONE pod (its own, by
 * resourceNames), so a job's hooks can never touch another job's pod; plus the Secret holding the JIT runner config
 * (never in the pod spec, events or logs). One set per runner slot of the job (naming.ts): `slot` defaults to the
 * job's first.
 */
import type { V1Role, V1RoleBinding, V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import type { WorkflowJob } from '../github/workflow-job.js';
import { COMPONENT, LABEL, MANAGED_BY, repositoryLabel, WORKLOAD_TOKEN_SECRET_KEY } from '@eci-virtual/contract';
import { JIT_SECRET_KEY, jitSecretName, jobResourceName } from './naming.js';

const meta = (job: WorkflowJob, namespace: string, name: string) => ({
  name,
  namespace,
  labels: {
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.component]: COMPONENT.runnerJob,
    [LABEL.jobId]: String(job.id),
    [LABEL.runId]: String(job.runId),
    [LABEL.repo]: repositoryLabel(job.repo),
  },
});

/** The JIT runner config and, when workload pods are on, the runner pod's workload token (both env of the runner). */
export function jitSecret(
  job: WorkflowJob,
  namespace: string,
  encodedJitConfig: string | undefined,
  workloadToken?: string,
  slot: string = String(job.id),
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(job, namespace, jitSecretName(slot)),
    type: 'Opaque',
    stringData: {
      // Without a config: the slot's claim, while its launch registers the runner (job-launcher.ts).
      ...(encodedJitConfig !== undefined ? { [JIT_SECRET_KEY]: encodedJitConfig } : {}),
      ...(workloadToken ? { [WORKLOAD_TOKEN_SECRET_KEY]: workloadToken } : {}),
    },
  };
}

export function jobServiceAccount(job: WorkflowJob, namespace: string, slot = String(job.id)): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(job, namespace, jobResourceName(slot)),
    automountServiceAccountToken: false,
  };
}

export function jobRole(job: WorkflowJob, namespace: string, slot = String(job.id)): V1Role {
  const pod = jobResourceName(slot);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(job, namespace, pod),
    rules: [
      { apiGroups: [''], resources: ['pods'], resourceNames: [pod], verbs: ['get'] },
      // WebSocket exec is authorized as `create` (since 1.30), SPDY upgrades as `create` too; `get` kept for older servers.
      { apiGroups: [''], resources: ['pods/exec'], resourceNames: [pod], verbs: ['create', 'get'] },
      { apiGroups: [''], resources: ['pods/log'], resourceNames: [pod], verbs: ['get'] },
    ],
  };
}

export function jobRoleBinding(job: WorkflowJob, namespace: string, slot = String(job.id)): V1RoleBinding {
  const name = jobResourceName(slot);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(job, namespace, name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  };
}
