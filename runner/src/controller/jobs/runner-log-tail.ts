/**
 * The last lines a runner printed before it exited with an error. The pod (and with it the log) is deleted right
 * after, so this is the operator's only chance to see why a runner gave up (a broker it could not reach, a bad
 * JIT config, a crashed hook) without reproducing the job.
 */
import { CONTAINER } from '@eci-virtual/contract';
import type { KubeClients } from '../../kube/client.js';

const TAIL_LINES = 20;
const LIMIT_BYTES = 8_192;

/** The runner container's last lines, or undefined when the log cannot be read (the pod may already be gone). */
export async function runnerLogTail(kube: KubeClients, namespace: string, pod: string): Promise<string[] | undefined> {
  try {
    const text = await kube.core.readNamespacedPodLog({
      namespace,
      name: pod,
      container: CONTAINER.runner,
      tailLines: TAIL_LINES,
      limitBytes: LIMIT_BYTES,
    });
    return String(text)
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-TAIL_LINES);
  } catch {
    return undefined;
  }
}
