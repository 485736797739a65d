/**
 * Pre-pulls the test images into the engine through its Docker-compatible API, so the first test or job does not pay
 * for the pull (and `up` proves the service reaches the insecure local registry with our registries.conf).
 */
import { Unavailable } from '@eci-virtual/contract';
import type { CachedImage } from './image-cache.js';
import { layout } from './engine-layout.js';
import { API } from './podman-service.js';
import { request } from './unix-http.js';

const sock = () => ({ socketPath: layout.socket });

/** Whether the engine holds the image with exactly this manifest digest. */
export async function engineHasImage(image: CachedImage): Promise<boolean> {
  const res = await request(sock(), `${API}/images/${encodeURIComponent(image.reference)}/json`);
  if (res?.status !== 200) return false;
  const repoDigests = (JSON.parse(res.body) as { RepoDigests?: string[] }).RepoDigests ?? [];
  const repository = image.reference.slice(0, image.reference.lastIndexOf(':'));
  return repoDigests.includes(`${repository}@${image.digest}`);
}

/** Pulls unless present. Returns whether it pulled. */
export async function ensurePulled(image: CachedImage, log: (msg: string) => void): Promise<boolean> {
  if (await engineHasImage(image)) return false;
  log(`pulling ${image.reference} into the engine`);
  const repository = image.reference.slice(0, image.reference.lastIndexOf(':'));
  const q = new URLSearchParams({ fromImage: repository, tag: image.recipe.tag });
  const res = await request(sock(), `${API}/images/create?${q}`, { method: 'POST', timeoutMs: 300_000 });
  // The compat endpoint answers 200 before pulling and reports failures inside the JSON progress stream.
  const failure = res?.body
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return (JSON.parse(line) as { error?: string }).error;
      } catch {
        return undefined;
      }
    })
    .find(Boolean);
  if (res?.status !== 200 || failure) {
    throw new Unavailable(
      `engine could not pull ${image.reference}: ${failure ?? `HTTP ${res?.status ?? 'no answer'}`}`,
    );
  }
  return true;
}
