/** Waits (by watch) until a job pod runs, failing fast with the node's reason when it cannot start. */
import type { V1Pod } from '@kubernetes/client-node';
import { Cancelled, InvalidInput, Timeout } from '@eci-virtual/contract';
import type { KubeClients } from '../kube/client.js';

function startFailure(pod: V1Pod): string | undefined {
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
    const waiting = pod.status.containerStatuses?.find((c) => c.state?.waiting?.message || c.state?.terminated);
    const detail =
      waiting?.state?.waiting?.message ??
      waiting?.state?.terminated?.message ??
      waiting?.state?.terminated?.reason ??
      '';
    return `pod ${pod.metadata?.name} ${pod.status.phase.toLowerCase()} before the job started: ${pod.status.reason ?? ''} ${detail}`.trim();
  }
  return undefined;
}

export async function waitForRunning(
  kube: KubeClients,
  namespace: string,
  name: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onScheduled?: (node: string) => void },
): Promise<V1Pod> {
  let scheduledReported = false;
  return new Promise<V1Pod>((resolve, reject) => {
    let req: { abort: () => void } | undefined;
    const timer = setTimeout(
      () =>
        finish(
          new Timeout(
            `pod ${namespace}/${name} did not start within ${opts.timeoutMs / 1000} s (is a virtual node Ready? kubectl get nodes)`,
          ),
        ),
      opts.timeoutMs,
    );
    const onAbort = () => finish(new Cancelled('cancelled while waiting for the job pod'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let done = false;
    function finish(err: Error | undefined, pod?: V1Pod): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      req?.abort();
      if (err) reject(err);
      else resolve(pod!);
    }
    const check = (pod: V1Pod) => {
      if (pod.spec?.nodeName && !scheduledReported) {
        scheduledReported = true;
        opts.onScheduled?.(pod.spec.nodeName);
      }
      const failure = startFailure(pod);
      if (failure) return finish(new InvalidInput(failure));
      if (pod.status?.phase === 'Running' && pod.status.containerStatuses?.every((c) => c.state?.running))
        finish(undefined, pod);
    };
    kube.watch
      .watch(
        `/api/v1/namespaces/${namespace}/pods`,
        { fieldSelector: `metadata.name=${name}` },
        (_type, pod: V1Pod) => check(pod),
        (err) => {
          if (!done && err) finish(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .then((r) => {
        req = r;
        if (done) r.abort();
      })
      .catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
    // The watch may start after the pod already ran: check the current state once too.
    kube.core
      .readNamespacedPod({ namespace, name })
      .then(check)
      .catch(() => undefined);
  });
}
