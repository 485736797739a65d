/**
 * A small OCI distribution client that reads what an image runs by default — its ENTRYPOINT, CMD, ENV, WORKDIR and
 * USER — without pulling it: manifest (or index → the manifest of our platform) → config blob. The controller uses
 * it to give `services:` containers their image's own command behind the agent's hold.
 *
 * Follows the OCI distribution spec (https://github.com/opencontainers/distribution-spec/blob/main/spec.md:
 * `GET /v2/<name>/manifests/<reference>`, `GET /v2/<name>/blobs/<digest>`, errors as `{"errors":[{code,message}]}`)
 * and accepts both OCI and Docker media types. Auth: see auth.ts. Plain http only for loopback registries and those
 * configured insecure; https otherwise. Results are cached in memory, bounded: by manifest digest for good (content
 * never changes under a digest), by tag for a short while (tags move).
 *
 *   const registry = new RegistryClient({ insecure: ['registry.internal:5000'], credentials });
 *   const { entrypoint, cmd } = await registry.imageConfig('postgres:16');
 */
import { createHash } from 'node:crypto';
import { EciVirtualError, type ErrorCode } from '@eci-virtual/contract';
import { basicAuth, parseChallenges, type CredentialSource } from './auth.js';
import { BoundedCache } from './bounded-cache.js';
import { canonicalImage, parseImageRef, type ImageRef } from './image-ref.js';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const INDEXES: string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList];
const MANIFESTS: string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest];

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** What an image runs by default, from its config blob (`config.Entrypoint`, `config.Cmd`, …). */
export interface ImageConfig {
  /** The image's ENTRYPOINT (empty when it has none). */
  entrypoint: string[];
  /** The image's CMD (empty when it has none). */
  cmd: string[];
  env: string[];
  workingDir?: string;
  user?: string;
  /** Digest of the platform manifest the config came from. */
  manifestDigest: string;
}

/** A failure reading an image's config; `code` is the shared vocabulary, `image` the reference as given. */
export class ImageConfigError extends EciVirtualError {
  constructor(
    code: ErrorCode,
    readonly image: string,
    message: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(code, `image ${image}: ${message}`, options);
  }
}

export interface RegistryClientOptions {
  /** Registries (`host` or `host:port`) reached over plain http; loopback registries always are. */
  insecure?: readonly string[];
  credentials?: CredentialSource;
  /** Default linux/<this process's architecture>. */
  platform?: Platform;
  /** Per HTTP request (default 10 s). */
  timeoutMs?: number;
  /** Cached results, at most (default 256). */
  cacheSize?: number;
  /** How long a tag's answer is reused (default 5 minutes). */
  tagTtlMs?: number;
  /** How long a failure is remembered, so a dead registry is not asked for every job (default 30 s). */
  failureTtlMs?: number;
  fetch?: typeof fetch;
}

/** Manifests larger than this are refused (the spec's recommended limit is 4 MiB). */
const MAX_MANIFEST = 4 << 20;
const MAX_CONFIG = 8 << 20;

export function hostPlatform(arch: string = process.arch): Platform {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return { os: 'linux', architecture: map[arch] ?? arch };
}

const platformText = (p: Platform) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

interface IndexEntry {
  mediaType?: string;
  digest: string;
  platform?: Platform;
}

export class RegistryClient {
  private readonly fetch: typeof fetch;
  private readonly platform: Platform;
  private readonly timeoutMs: number;
  private readonly tagTtlMs: number;
  private readonly failureTtlMs: number;
  private readonly insecure: Set<string>;
  /** canonical image + platform → config (or the error it ended in). */
  private readonly byRef: BoundedCache<ImageConfig | ImageConfigError>;
  /** registry/repository@manifest digest → config. */
  private readonly byDigest: BoundedCache<ImageConfig>;
  private readonly tokens = new BoundedCache<string>(64);
  private readonly inFlight = new Map<string, Promise<ImageConfig>>();

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.platform = opts.platform ?? hostPlatform();
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.tagTtlMs = opts.tagTtlMs ?? 5 * 60_000;
    this.failureTtlMs = opts.failureTtlMs ?? 30_000;
    this.insecure = new Set(opts.insecure ?? []);
    this.byRef = new BoundedCache(opts.cacheSize ?? 256);
    this.byDigest = new BoundedCache(opts.cacheSize ?? 256);
  }

  /** The config of `image` for this client's platform; throws ImageConfigError naming the image. */
  async imageConfig(image: string, signal?: AbortSignal): Promise<ImageConfig> {
    let ref: ImageRef;
    try {
      ref = parseImageRef(image);
    } catch (err) {
      throw new ImageConfigError('InvalidInput', image, (err as Error).message, { cause: err });
    }
    const key = `${canonicalImage(ref)}|${platformText(this.platform)}`;
    const cached = this.byRef.get(key);
    if (cached instanceof ImageConfigError) throw cached;
    if (cached) return cached;
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = this.resolve(image, ref, signal).then(
      (config) => {
        this.byRef.set(key, config, ref.pinned ? Infinity : this.tagTtlMs);
        return config;
      },
      (err: unknown) => {
        const e =
          err instanceof ImageConfigError
            ? err
            : new ImageConfigError('Internal', image, (err as Error).message, { cause: err });
        // A cancelled caller says nothing about the registry: remember only real answers.
        if (!signal?.aborted) this.byRef.set(key, e, this.failureTtlMs);
        throw e;
      },
    );
    this.inFlight.set(key, p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * The digest the registry serves for `image`'s tag now: a HEAD of its manifest (OCI distribution spec, "Checking if
   * content exists in the registry": the `Docker-Content-Digest` header), accepting every manifest and index type so
   * the digest is the tag's own (an index for a multi-platform image). A pinned reference is its own digest. Undefined
   * when the registry sends no digest header; throws ImageConfigError when it cannot be asked. Not cached: asking is
   * how a moved tag is noticed.
   */
  async manifestDigest(image: string, signal?: AbortSignal): Promise<string | undefined> {
    let ref: ImageRef;
    try {
      ref = parseImageRef(image);
    } catch (err) {
      throw new ImageConfigError('InvalidInput', image, (err as Error).message, { cause: err });
    }
    if (ref.pinned) return ref.reference;
    const res = await this.request(
      image,
      ref,
      `manifests/${ref.reference}`,
      [...INDEXES, ...MANIFESTS],
      0,
      signal,
      'HEAD',
    );
    return res.digest && /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(res.digest) ? res.digest : undefined;
  }

  /** Plain http for loopback registries and the configured insecure ones. */
  schemeOf(registry: string): 'http' | 'https' {
    const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
    return loopback || this.insecure.has(registry) || this.insecure.has(host) ? 'http' : 'https';
  }

  private async resolve(image: string, ref: ImageRef, signal: AbortSignal | undefined): Promise<ImageConfig> {
    let manifest = await this.manifest(image, ref, ref.reference, [...INDEXES, ...MANIFESTS], signal);
    if (INDEXES.includes(manifest.mediaType)) {
      const entry = this.pick(image, manifest.json as { manifests?: IndexEntry[] });
      const known = this.byDigest.get(`${ref.apiHost}/${ref.repository}@${entry.digest}`);
      if (known) return known;
      manifest = await this.manifest(image, ref, entry.digest, MANIFESTS, signal);
      if (!MANIFESTS.includes(manifest.mediaType))
        throw new ImageConfigError(
          'InvalidInput',
          image,
          `the index entry for ${platformText(this.platform)} is a ${manifest.mediaType}, not an image manifest`,
        );
    } else {
      const known = this.byDigest.get(`${ref.apiHost}/${ref.repository}@${manifest.digest}`);
      if (known) return known;
    }
    const configRef = (manifest.json as { config?: { digest?: unknown } }).config?.digest;
    if (typeof configRef !== 'string')
      throw new ImageConfigError('InvalidInput', image, 'the manifest has no config descriptor');
    const blob = await this.request(image, ref, `blobs/${configRef}`, ['*/*'], MAX_CONFIG, signal);
    verifyDigest(image, configRef, blob.body);
    const config = parseConfig(image, blob.body, manifest.digest);
    this.byDigest.set(`${ref.apiHost}/${ref.repository}@${manifest.digest}`, config);
    return config;
  }

  private async manifest(
    image: string,
    ref: ImageRef,
    reference: string,
    accept: string[],
    signal: AbortSignal | undefined,
  ): Promise<{ mediaType: string; json: unknown; digest: string }> {
    const res = await this.request(image, ref, `manifests/${reference}`, accept, MAX_MANIFEST, signal);
    if (reference.includes(':')) verifyDigest(image, reference, res.body);
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new ImageConfigError('InvalidInput', image, `the manifest ${reference} is not JSON`);
    }
    // The body's own mediaType wins (OCI makes it a MUST for indexes); Content-Type otherwise.
    const declared = (json as { mediaType?: unknown }).mediaType;
    const mediaType = typeof declared === 'string' ? declared : (res.contentType?.split(';')[0]?.trim() ?? '');
    if (![...INDEXES, ...MANIFESTS].includes(mediaType))
      throw new ImageConfigError(
        'InvalidInput',
        image,
        `unsupported manifest media type "${mediaType || 'none'}" (expected an OCI or Docker v2 manifest or index)`,
      );
    const digest = reference.includes(':')
      ? reference
      : (res.digest ?? `sha256:${createHash('sha256').update(res.body).digest('hex')}`);
    return { mediaType, json, digest };
  }

  private pick(image: string, index: { manifests?: IndexEntry[] }): IndexEntry {
    const entries = (index.manifests ?? []).filter((m) => typeof m?.digest === 'string' && m.platform);
    const want = this.platform;
    const same = entries.filter((m) => m.platform!.os === want.os && m.platform!.architecture === want.architecture);
    const exact = same.find((m) => (m.platform!.variant ?? '') === (want.variant ?? ''));
    const found = exact ?? same.find((m) => !want.variant || m.platform!.variant === want.variant);
    if (found) return found;
    const has = entries.filter((m) => m.platform!.os !== 'unknown').map((m) => platformText(m.platform!));
    throw new ImageConfigError(
      'InvalidInput',
      image,
      `no manifest for ${platformText(want)} (the index has ${has.join(', ') || 'none'})`,
    );
  }

  /** One GET, authenticating on a 401 as the challenge asks; errors mapped to the shared vocabulary. */
  private async request(
    image: string,
    ref: ImageRef,
    path: string,
    accept: string[],
    maxBytes: number,
    signal: AbortSignal | undefined,
    method: 'GET' | 'HEAD' = 'GET',
  ): Promise<{ body: Buffer; contentType: string | undefined; digest: string | undefined }> {
    const url = `${this.schemeOf(ref.registry)}://${ref.apiHost}/v2/${ref.repository}/${path}`;
    const scope = `repository:${ref.repository}:pull`;
    const tokenKey = `${ref.apiHost}|${scope}`;
    let authorization = this.tokens.get(tokenKey);
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(
        image,
        url,
        { Accept: accept.join(', '), ...(authorization ? { Authorization: authorization } : {}) },
        signal,
        method,
      );
      if (res.status === 401 && attempt === 0) {
        const granted = await this.authorize(image, ref, res.headers.get('www-authenticate') ?? '', scope, signal);
        this.tokens.set(tokenKey, granted.value, granted.ttlMs);
        authorization = granted.value;
        continue;
      }
      if (!res.ok) throw await this.failure(image, path, res, !!this.opts.credentials?.(ref.registry));
      if (method === 'HEAD')
        return {
          body: Buffer.alloc(0),
          contentType: res.headers.get('content-type') ?? undefined,
          digest: res.headers.get('docker-content-digest') ?? undefined,
        };
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > maxBytes)
        throw new ImageConfigError('InvalidInput', image, `${path} is ${length} bytes (at most ${maxBytes} read)`);
      const body = Buffer.from(await this.read(image, res, signal));
      if (body.length > maxBytes)
        throw new ImageConfigError('InvalidInput', image, `${path} is over ${maxBytes} bytes`);
      return {
        body,
        contentType: res.headers.get('content-type') ?? undefined,
        digest: res.headers.get('docker-content-digest') ?? undefined,
      };
    }
  }

  private async read(image: string, res: Response, signal: AbortSignal | undefined): Promise<ArrayBuffer> {
    try {
      return await res.arrayBuffer();
    } catch (err) {
      throw this.networkError(image, err, signal);
    }
  }

  private async send(
    image: string,
    url: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    method: 'GET' | 'HEAD' = 'GET',
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.fetch(url, {
        method,
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw this.networkError(image, err, signal, url);
    }
  }

  private networkError(image: string, err: unknown, signal: AbortSignal | undefined, url?: string): ImageConfigError {
    if (signal?.aborted) return new ImageConfigError('Cancelled', image, 'cancelled', { cause: err });
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${this.timeoutMs / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    return new ImageConfigError(
      'Unavailable',
      image,
      `registry unreachable${url ? ` (${new URL(url).origin})` : ''}: ${why}`,
      {
        cause: err,
      },
    );
  }

  /** Answers a 401's challenge: a Bearer token from its realm, or Basic credentials. */
  private async authorize(
    image: string,
    ref: ImageRef,
    header: string,
    scope: string,
    signal: AbortSignal | undefined,
  ): Promise<{ value: string; ttlMs: number }> {
    const creds = this.opts.credentials?.(ref.registry);
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) {
      const realm = new URL(bearer.params.realm);
      if (bearer.params.service) realm.searchParams.set('service', bearer.params.service);
      realm.searchParams.set('scope', bearer.params.scope ?? scope);
      const res = await this.send(image, realm.toString(), creds ? { Authorization: basicAuth(creds) } : {}, signal);
      if (!res.ok)
        throw new ImageConfigError(
          res.status === 401 || res.status === 403 ? 'Unauthorized' : 'Unavailable',
          image,
          `the token service ${realm.origin} answered ${res.status}${creds ? '' : ' (no credentials for this registry)'}`,
        );
      let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
      try {
        json = JSON.parse(Buffer.from(await this.read(image, res, signal)).toString('utf8')) as typeof json;
      } catch (err) {
        if (err instanceof ImageConfigError) throw err;
        throw new ImageConfigError('Unavailable', image, `the token service ${realm.origin} did not answer JSON`);
      }
      const token = typeof json.token === 'string' ? json.token : json.access_token;
      if (typeof token !== 'string' || !token)
        throw new ImageConfigError('Unavailable', image, `the token service ${realm.origin} gave no token`);
      // The token spec's default lifetime is 60 s; renew a little early.
      const seconds = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 60;
      return { value: `Bearer ${token}`, ttlMs: Math.max(seconds - 10, 1) * 1000 };
    }
    if (challenges.some((c) => c.scheme === 'basic') && creds) return { value: basicAuth(creds), ttlMs: 5 * 60_000 };
    throw new ImageConfigError(
      'Unauthorized',
      image,
      creds
        ? `the registry asks for authentication we cannot answer (${header || 'no WWW-Authenticate'})`
        : `the registry ${ref.registry} needs credentials and none are configured for it`,
    );
  }

  private async failure(
    image: string,
    path: string,
    res: Response,
    hadCredentials: boolean,
  ): Promise<ImageConfigError> {
    let detail = '';
    try {
      const body = JSON.parse(await res.text()) as { errors?: { code?: string; message?: string }[] };
      detail = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    } catch {
      // not an OCI error body
    }
    const what = `${path} answered ${res.status}${detail ? ` (${detail})` : ''}`;
    if (res.status === 404) return new ImageConfigError('NotFound', image, what);
    if (res.status === 401 || res.status === 403)
      return new ImageConfigError(
        'Unauthorized',
        image,
        `${what}${hadCredentials ? '' : '; no credentials are configured for this registry'}`,
      );
    if (res.status === 429) return new ImageConfigError('Throttled', image, what);
    return new ImageConfigError(res.status >= 500 ? 'Unavailable' : 'InvalidInput', image, what);
  }
}

function verifyDigest(image: string, digest: string, body: Buffer): void {
  const [algorithm, hex] = digest.split(':');
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return; // unknown algorithms are not checked
  const actual = createHash(algorithm).update(body).digest('hex');
  if (actual !== hex)
    throw new ImageConfigError(
      'InvalidInput',
      image,
      `content of ${digest} does not match its digest (${algorithm}:${actual})`,
    );
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function parseConfig(image: string, body: Buffer, manifestDigest: string): ImageConfig {
  let json: { config?: Record<string, unknown> | null };
  try {
    json = JSON.parse(body.toString('utf8')) as typeof json;
  } catch {
    throw new ImageConfigError('InvalidInput', image, 'the image config is not JSON');
  }
  const c = json.config ?? {};
  return {
    entrypoint: strings(c.Entrypoint),
    cmd: strings(c.Cmd),
    env: strings(c.Env),
    ...(typeof c.WorkingDir === 'string' && c.WorkingDir ? { workingDir: c.WorkingDir } : {}),
    ...(typeof c.User === 'string' && c.User ? { user: c.User } : {}),
    manifestDigest,
  };
}
