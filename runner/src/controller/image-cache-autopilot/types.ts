/**
 * The image-cache autopilot's inputs and outputs. The autopilot is the controller's: it reads job history; the
 * services that keep images warm (ECI image caches, a docker engine's pre-pulls) implement `WarmImageService` in
 * their backends and are handed in, so the controller never talks to a cloud API itself.
 */

/** Where a job's image came from: its pod's containers, or a base image kaniko pulled to build. */
export type ImageRole = 'runner' | 'job' | 'service' | 'step' | 'kaniko-base';

/** One job's images, as job history records them. */
export interface ImageUse {
  repo: string;
  /** When the job's pod was created (ms since epoch). */
  at: number;
  images: { ref: string; role: ImageRole }[];
  /** How long its images took to prepare (first pull → pulled), when known. */
  prepSeconds?: number;
  /** Whether its pod started from an image cache. */
  fromCache?: boolean;
}

/** Job history, newest last or in any order. */
export interface JobHistorySource {
  usesSince(sinceMs: number, signal?: AbortSignal): Promise<ImageUse[]>;
}

/**
 * The current digest of an image reference (a registry's HEAD of the tag's manifest: `Docker-Content-Digest`), or
 * undefined when it cannot be told. Implemented over runner/src/registry's client when that lands.
 */
export interface DigestSource {
  digest(image: string, signal?: AbortSignal): Promise<string | undefined>;
}

/** One warm set of images (an ECI image cache; on docker, images pre-pulled together). */
export interface WarmSet {
  id: string;
  name: string;
  images: string[];
  state: 'pending' | 'ready' | 'failed';
  createdAt: number;
  /** Labels the autopilot set when it created it (ECI: tags). */
  labels: Record<string, string>;
  sizeGiB?: number;
}

export interface WarmSetRequest {
  name: string;
  images: string[];
  labels: Record<string, string>;
}

/** What keeps images warm: ECI image caches (CreateImageCache, DescribeImageCaches, DeleteImageCache) or pre-pulls. */
export interface WarmImageService {
  /** The most sets the service holds at once (ECI: the account's image cache quota). */
  readonly quota: number;
  /** The sets the autopilot manages (those labelled by it). */
  list(signal?: AbortSignal): Promise<WarmSet[]>;
  create(request: WarmSetRequest, signal?: AbortSignal): Promise<string>;
  delete(id: string, signal?: AbortSignal): Promise<void>;
}

/** Per-repository overrides from `.github/eci-virtual.yml` (`imageCache`). */
export interface RepoCacheOverride {
  /** `imageCache.autopilot: false`: learn nothing for this repository. */
  autopilot: boolean;
  /** `imageCache.images`: the repository's own cache holds these; the autopilot adds no set they already cover. */
  images: string[];
}

/** Labels on the sets the autopilot creates. */
export const LABEL = {
  managedBy: 'eci-virtual/autopilot',
  repo: 'eci-virtual/repo',
  digests: 'eci-virtual/digests',
} as const;
