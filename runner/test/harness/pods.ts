/** Pod manifests for tests: placed on one specific virtual node (several may share the test cluster). */
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';

export function virtualPod(
  name: string,
  nodeName: string,
  containers: V1Container[],
  spec: Partial<V1PodSpec> = {},
): V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 2,
      nodeSelector: { type: 'virtual-kubelet', 'kubernetes.io/hostname': nodeName },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      containers: containers.map((c) => ({ imagePullPolicy: 'IfNotPresent', ...c })),
      ...spec,
    },
  };
}
