/**
 * Registry credentials the runner hands `prepare_job` (`container.credentials`, `services.<id>.credentials`) as the
 * workload pod's pull credentials: one `kubernetes.io/dockerconfigjson` Secret per workload (deleted with it), in
 * Docker's `config.json` format, which the kubelet — and our virtual node (virtual-node/pods/pod-inputs.ts) — read
 * from `imagePullSecrets`.
 */
import type { WorkloadContainerArgs } from '@eci-virtual/contract';

/** Docker Hub's key in a config.json (what `docker login` writes for it). */
const DOCKER_HUB = 'https://index.docker.io/v1/';

/** The registry host of an image reference: its first component if that looks like a host, else Docker Hub. */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : DOCKER_HUB;
}

/** `.dockerconfigjson` for the containers that carry credentials, or undefined when none does. */
export function dockerConfigJson(containers: readonly WorkloadContainerArgs[]): string | undefined {
  const auths: Record<string, { username: string; password: string; auth: string }> = {};
  for (const c of containers) {
    const r = c.registry;
    if (!r?.username || r.password === undefined) continue;
    const server = r.serverUrl?.trim() || registryOf(c.image);
    auths[server] = {
      username: r.username,
      password: r.password,
      auth: Buffer.from(`${r.username}:${r.password}`).toString('base64'),
    };
  }
  return Object.keys(auths).length ? JSON.stringify({ auths }) : undefined;
}
