/**
 * The one thin wrapper around @kubernetes/client-node: loading a kubeconfig and making typed API clients. Everything
 * else in eci-virtual talks to Kubernetes through the clients made here, so API plumbing stays in one place.
 */
import * as k8s from '@kubernetes/client-node';
import { PooledKubeConfig } from './pooled-config.js';

export interface KubeClients {
  config: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  coordination: k8s.CoordinationV1Api;
  rbac: k8s.RbacAuthorizationV1Api;
  authn: k8s.AuthenticationV1Api;
  authz: k8s.AuthorizationV1Api;
  watch: k8s.Watch;
}

/**
 * Loads `path`, else $KUBECONFIG, else in-cluster config, else ~/.kube/config. API calls through it share keep-alive
 * connections (pooled-config.ts).
 */
export function loadKubeConfig(path?: string): k8s.KubeConfig {
  const kc = new PooledKubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export function makeClients(config: k8s.KubeConfig): KubeClients {
  return {
    config,
    core: config.makeApiClient(k8s.CoreV1Api),
    apps: config.makeApiClient(k8s.AppsV1Api),
    coordination: config.makeApiClient(k8s.CoordinationV1Api),
    rbac: config.makeApiClient(k8s.RbacAuthorizationV1Api),
    authn: config.makeApiClient(k8s.AuthenticationV1Api),
    authz: config.makeApiClient(k8s.AuthorizationV1Api),
    watch: new k8s.Watch(config),
  };
}

/** The HTTP status of a failed client-node call (ApiException carries `code`), or undefined. */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}
