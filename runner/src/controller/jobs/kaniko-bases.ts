/**
 * The base images kaniko pulled in a finished job pod, read from its `kaniko` container's log, where the spool agent
 * printed one marker line per image after each build (@eci-virtual/contract kaniko-base.ts). The pod — and with it
 * the log — is deleted right after, so this runs before cleanup. Best effort and bounded: a pod without a kaniko
 * container is not asked, at most `limitBytes` of the log are read, and an answer slower than `timeoutMs` or an
 * error gives no images (logged at debug with the job and pod), so cleanup never waits long for it.
 */
import { CONTAINER, describeError, kanikoBaseImagesFromLog } from '@eci-virtual/contract';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';

export interface KanikoBasesOptions {
  kube: { core: Pick<KubeClients['core'], 'readNamespacedPodLog'> };
  namespace: string;
  log: Logger;
  /** The job the pod's builds belong to (for the log). */
  job: string;
  /** Default 3 s. */
  timeoutMs?: number;
  /** Default 256 KiB: the agent prints a line per base image only, so this is far more than a pod ever prints. */
  limitBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 3_000;
const DEFAULT_LIMIT_BYTES = 256 * 1024;

/** Whether the pod has the kaniko container (a pod of a job that builds images). */
export function hasKaniko(pod: Pick<V1Pod, 'spec'>): boolean {
  return (pod.spec?.containers ?? []).some((c) => c.name === CONTAINER.kaniko);
}

/** The distinct base images the pod's kaniko builds retrieved; [] when none, or when the log cannot be read in time. */
export async function readKanikoBases(
  pod: Pick<V1Pod, 'metadata' | 'spec'>,
  opts: KanikoBasesOptions,
): Promise<string[]> {
  const name = pod.metadata?.name;
  if (!name || !hasKaniko(pod)) return [];
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const text = await Promise.race([
      opts.kube.core.readNamespacedPodLog({
        namespace: opts.namespace,
        name,
        container: CONTAINER.kaniko,
        limitBytes: opts.limitBytes ?? DEFAULT_LIMIT_BYTES,
      }),
      timedOut,
    ]);
    if (text === 'timeout') {
      opts.log.debug('kaniko log not read in time; its base images are not recorded', {
        job: opts.job,
        pod: name,
        timeoutMs,
      });
      return [];
    }
    return kanikoBaseImagesFromLog(String(text));
  } catch (err) {
    opts.log.debug('could not read the kaniko log; its base images are not recorded', {
      job: opts.job,
      pod: name,
      err: describeError(err),
    });
    return [];
  } finally {
    clearTimeout(timer);
  }
}
