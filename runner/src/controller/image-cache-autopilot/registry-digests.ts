/**
 * The autopilot's DigestSource over the controller's registry client (registry/client.ts `manifestDigest`: a HEAD of
 * the tag's manifest, `Docker-Content-Digest`), with the pull credentials of `registries.credentialsFile`. A registry
 * that cannot be asked makes the digest unknown (never a reason to refresh a cache), logged at debug level.
 */
import type { RegistryClient } from '../../registry/client.js';
import type { Logger } from '../../observability/logger.js';
import type { DigestSource } from './types.js';

export function registryDigests(client: Pick<RegistryClient, 'manifestDigest'>, log: Logger): DigestSource {
  return {
    async digest(image: string, signal?: AbortSignal): Promise<string | undefined> {
      try {
        return await client.manifestDigest(image, signal);
      } catch (err) {
        if (!signal?.aborted)
          log.debug('image cache autopilot: digest unknown', { image, err: (err as Error).message });
        return undefined;
      }
    },
  };
}
