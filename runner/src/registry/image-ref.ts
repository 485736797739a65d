/**
 * An image reference as `docker pull` reads it, split into what the distribution API needs: the registry host, the
 * repository and a tag or digest. Docker's rules: the first path element is a registry only if it has a `.` or a
 * `:` or is `localhost`; otherwise the image is on Docker Hub, whose one-element names live under `library/`, and
 * whose API host is `registry-1.docker.io`. No tag means `latest`.
 */
import { InvalidInput } from '@eci-virtual/contract';

export interface ImageRef {
  /** The registry as written (`docker.io` for Docker Hub), e.g. `127.0.0.1:5001`, `ghcr.io`. */
  registry: string;
  /** The host:port the API is served on (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** The repository path, e.g. `library/postgres`, `acme/tools/db`. */
  repository: string;
  /** A tag or a `sha256:…` digest. */
  reference: string;
  /** The reference names a digest (content-addressed: what it names never changes). */
  pinned: boolean;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
// Reference grammar (distribution/reference): path components, tag, digest.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

export function parseImageRef(image: string): ImageRef {
  const bad = (why: string) => new InvalidInput(`image "${image}" is not a valid reference: ${why}`);
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a tag`);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first : DOCKER_HUB;
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  const path = hasRegistry ? parts.slice(1) : parts;
  if (registry === DOCKER_HUB && path.length === 1) path.unshift('library');
  if (!path.length || path.some((p) => !COMPONENT.test(p))) throw bad('the repository must be lowercase path elements');
  return {
    registry,
    apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry,
    repository: path.join('/'),
    reference: digest ?? tag ?? 'latest',
    pinned: digest !== undefined,
  };
}

/** The canonical form, `registry/repository:tag` or `@digest`: one cache key per image however it was written. */
export function canonicalImage(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.pinned ? '@' : ':'}${ref.reference}`;
}
