/** What pod-input resolution needs from the API server, as a narrow interface (real one below, tests use a map). */
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { apiStatus, type KubeClients } from '../../kube/client.js';

export interface PodInputSource {
  /** undefined when the object does not exist. */
  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** A bound service-account token for the pod (TokenRequest API). */
  serviceAccountToken(
    namespace: string,
    serviceAccount: string,
    opts: { audience?: string; expirationSeconds: number; pod: { name: string; uid: string } },
  ): Promise<string>;
}

const orUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => {
  try {
    return await p;
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  }
};

export function kubeInputSource(kube: KubeClients): PodInputSource {
  return {
    configMap: (namespace, name) => orUndefined(kube.core.readNamespacedConfigMap({ namespace, name })),
    secret: (namespace, name) => orUndefined(kube.core.readNamespacedSecret({ namespace, name })),
    async serviceAccountToken(namespace, serviceAccount, opts) {
      const res = await kube.core.createNamespacedServiceAccountToken({
        namespace,
        name: serviceAccount,
        body: {
          spec: {
            audiences: opts.audience ? [opts.audience] : [],
            expirationSeconds: opts.expirationSeconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: opts.pod.name, uid: opts.pod.uid },
          },
        },
      });
      if (!res.status?.token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
      return res.status.token;
    },
  };
}
