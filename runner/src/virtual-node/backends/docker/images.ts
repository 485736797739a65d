/**
 * Image pulls honouring imagePullPolicy and pull secrets, with the kubelet's events (Pulling, Pulled, Failed). A pull
 * error is reported as InvalidInput with reason ErrImagePull so the pod fails fast with the engine's message.
 */
import { InvalidInput, isErrorCode } from '@eci-virtual/contract';
import type { RegistryAuth } from '../backend.js';
import type { EngineClient } from './engine-client.js';
import { ndjson } from './ndjson.js';

export class ImagePullError extends InvalidInput {
  constructor(
    message: string,
    /** The image that could not be pulled: the pod's status blames the containers that use it. */
    readonly image: string,
    readonly reason: 'ErrImagePull' | 'ErrImageNeverPull' = 'ErrImagePull',
  ) {
    super(message);
  }
}

export type PullEvent = { reason: 'Pulling' | 'Pulled'; message: string };

/** Splits `registry/repo:tag@digest` into what /images/create wants. */
export function parseImage(image: string): { fromImage: string; tag: string | undefined; registry: string } {
  let name = image;
  let tag: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    tag = name.slice(at + 1);
    name = name.slice(0, at);
  } else {
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      tag = name.slice(colon + 1);
      name = name.slice(0, colon);
    }
  }
  const first = name.split('/')[0] ?? '';
  const registry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
  return { fromImage: name, tag: tag ?? 'latest', registry };
}

function authHeader(image: string, auths: RegistryAuth[]): Record<string, string> {
  const { registry } = parseImage(image);
  const match = auths.find((a) => a.registry.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === registry);
  if (!match) return {};
  let { username, password } = match;
  if (!username && match.auth)
    [username, password] = Buffer.from(match.auth, 'base64').toString('utf8').split(/:(.*)/s);
  const body = {
    username,
    password,
    serveraddress: registry,
    ...(match.identityToken ? { identitytoken: match.identityToken } : {}),
  };
  return { 'X-Registry-Auth': Buffer.from(JSON.stringify(body)).toString('base64url') };
}

async function present(engine: EngineClient, image: string): Promise<boolean> {
  try {
    await engine.json('GET', `/images/${encodeURIComponent(image)}/json`);
    return true;
  } catch (err) {
    if (isErrorCode(err, 'NotFound')) return false;
    throw err;
  }
}

export async function ensureImage(
  engine: EngineClient,
  image: string,
  policy: 'Always' | 'IfNotPresent' | 'Never',
  auths: RegistryAuth[],
  emit: (e: PullEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  if (policy !== 'Always' && (await present(engine, image))) {
    emit({ reason: 'Pulled', message: `Container image "${image}" already present on machine` });
    return;
  }
  if (policy === 'Never') {
    throw new ImagePullError(
      `Container image "${image}" is not present with pull policy of Never`,
      image,
      'ErrImageNeverPull',
    );
  }
  emit({ reason: 'Pulling', message: `Pulling image "${image}"` });
  const started = Date.now();
  const { fromImage, tag } = parseImage(image);
  let res;
  try {
    res = await engine.stream('POST', '/images/create', {
      query: { fromImage, tag },
      headers: authHeader(image, auths),
      signal,
    });
  } catch (err) {
    if (isErrorCode(err, 'NotFound') || isErrorCode(err, 'InvalidInput') || isErrorCode(err, 'Unavailable')) {
      throw new ImagePullError(`Failed to pull image "${image}": ${(err as Error).message}`, image);
    }
    throw err;
  }
  // Progress is a stream of JSON objects; a failure arrives as {"error": "..."} with status 200.
  let failure: string | undefined;
  for await (const msg of ndjson(res)) {
    const m = msg as { error?: string; errorDetail?: { message?: string } };
    if (m.error) failure = m.errorDetail?.message ?? m.error;
  }
  if (failure) throw new ImagePullError(`Failed to pull image "${image}": ${failure}`, image);
  emit({
    reason: 'Pulled',
    message: `Successfully pulled image "${image}" in ${((Date.now() - started) / 1000).toFixed(3)}s`,
  });
}
