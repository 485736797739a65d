/**
 * What steps may know about the pod they run in, as one JSON value in `$ECI_VIRTUAL_POD_FACTS`: written by the
 * engine (`eci-virtual run`) and the container hooks, read by `actions/placement`.
 */
export const POD_FACTS_ENV = 'ECI_VIRTUAL_POD_FACTS';

export interface PodFacts {
  pod: string;
  namespace: string;
  node?: string;
  nodeType: 'virtual' | 'regular' | 'unknown';
  cpu?: string;
  memory?: string;
  /** `k8s.aliyun.com/eci-use-specs`, when asked for. */
  eciSpecs?: string;
  imageCache: { auto: boolean; id?: string; pullPolicy?: string };
  images: string[];
  kaniko: boolean;
  /** Milliseconds from the engine's start of the job. */
  timings: { podCreatedMs?: number; scheduledMs?: number; runningMs?: number };
}
