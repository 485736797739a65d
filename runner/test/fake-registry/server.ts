/**
 * A fake OCI registry for unit tests: an HTTP server that serves what the OCI distribution spec's "pull" category
 * requires (https://github.com/opencontainers/distribution-spec/blob/main/spec.md):
 *
 * - `GET /v2/` → 200 (the API version check, "end-1");
 * - `GET /v2/<name>/manifests/<reference>` ("end-3"), reference a tag or a digest, answered with the manifest's
 *   media type as `Content-Type` and its digest as `Docker-Content-Digest`; `HEAD` of the same ("end-3", "Checking
 *   if content exists in the registry") with the same headers and no body (Node's server drops a HEAD's body);
 * - `GET /v2/<name>/blobs/<digest>` ("end-2"), optionally through a 307 redirect to another path, as registries that
 *   serve blobs from object storage do (the spec: clients "SHOULD" follow redirects);
 * - failures as the spec's error body `{"errors":[{"code","message","detail"}]}` with codes `MANIFEST_UNKNOWN`,
 *   `BLOB_UNKNOWN`, `NAME_UNKNOWN`, `UNAUTHORIZED`.
 *
 * Auth follows Docker's token protocol (https://distribution.github.io/distribution/spec/auth/token/): `bearer` mode
 * answers 401 with `WWW-Authenticate: Bearer realm="<this server>/token",service="fake",scope="repository:<name>:pull"`
 * and `/token` hands out a token (checking Basic credentials when `credentials` are set); `basic` mode answers 401
 * with `WWW-Authenticate: Basic realm="fake"`. Images are stored with OCI or Docker media types, as an index of
 * platforms or a single manifest. Every request is recorded for assertions. Written from the spec, not from the client.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const OCI = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
} as const;
export const DOCKER = {
  index: 'application/vnd.docker.distribution.manifest.list.v2+json',
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
} as const;

export interface FakeImage {
  /** `config` of the image config blob: Entrypoint, Cmd, Env, WorkingDir, User. */
  config: Record<string, unknown>;
  /** Platforms of an index (`os/arch[/variant]`); omitted: a single manifest. */
  platforms?: string[];
  format?: 'oci' | 'docker';
  /** Leave `mediaType` out of the manifest body (allowed for OCI manifests): the client must use Content-Type. */
  omitMediaType?: boolean;
}

export interface FakeRegistryOptions {
  auth?: 'none' | 'bearer' | 'basic';
  /** Required credentials (Basic at /token in bearer mode, or on every request in basic mode). */
  credentials?: { username: string; password: string };
  /** Serve blobs through a 307 redirect. */
  redirectBlobs?: boolean;
  /** Answer every manifest request with this status (e.g. 500). */
  failManifests?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  accept?: string;
}

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class FakeRegistry {
  readonly requests: RecordedRequest[] = [];
  private readonly blobs = new Map<string, Buffer>();
  /** name → reference (tag or digest) → manifest. */
  private readonly manifests = new Map<string, Map<string, { body: Buffer; mediaType: string }>>();
  private readonly tokens = new Set<string>();
  private server: Server | undefined;
  host = '';

  constructor(private readonly opts: FakeRegistryOptions = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Stores an image under `name:tag`; returns the digest of what the tag names (index or manifest). */
  push(name: string, tag: string, image: FakeImage): string {
    const types = image.format === 'docker' ? DOCKER : OCI;
    const manifestFor = (platform?: string): { digest: string; size: number } => {
      const [os, architecture, variant] = (platform ?? 'linux/amd64').split('/');
      const config = Buffer.from(
        JSON.stringify({
          architecture,
          os,
          ...(variant ? { variant } : {}),
          config: image.config,
          rootfs: { type: 'layers', diff_ids: [] },
        }),
      );
      this.blobs.set(digestOf(config), config);
      const manifest = {
        schemaVersion: 2,
        ...(image.omitMediaType ? {} : { mediaType: types.manifest }),
        config: { mediaType: types.config, digest: digestOf(config), size: config.length },
        layers: [],
      };
      return this.storeManifest(name, manifest, types.manifest);
    };
    if (!image.platforms) {
      const m = manifestFor();
      this.repo(name).set(tag, this.repo(name).get(m.digest)!);
      return m.digest;
    }
    const index = {
      schemaVersion: 2,
      mediaType: types.index,
      manifests: [
        ...image.platforms.map((p) => {
          const [os, architecture, variant] = p.split('/');
          return {
            mediaType: types.manifest,
            ...manifestFor(p),
            platform: { os, architecture, ...(variant ? { variant } : {}) },
          };
        }),
        // An attestation entry, as BuildKit adds: platform unknown/unknown, never a match.
        {
          mediaType: types.manifest,
          ...manifestFor('unknown/unknown'),
          platform: { os: 'unknown', architecture: 'unknown' },
        },
      ],
    };
    const stored = this.storeManifest(name, index, types.index);
    this.repo(name).set(tag, this.repo(name).get(stored.digest)!);
    return stored.digest;
  }

  /** Requests whose path starts with `prefix`. */
  count(prefix: string): number {
    return this.requests.filter((r) => r.path.startsWith(prefix)).length;
  }

  private repo(name: string) {
    let r = this.manifests.get(name);
    if (!r) this.manifests.set(name, (r = new Map()));
    return r;
  }

  private storeManifest(name: string, json: unknown, mediaType: string): { digest: string; size: number } {
    const body = Buffer.from(JSON.stringify(json));
    const digest = digestOf(body);
    this.repo(name).set(digest, { body, mediaType });
    return { digest, size: body.length };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
    });
    const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify({ errors: [{ code, message, detail: null }] }));
    };
    if (url.pathname === '/token') return this.token(req, url, res);
    if (url.pathname.startsWith('/_blobstore/')) {
      const blob = this.blobs.get(url.pathname.slice('/_blobstore/'.length));
      if (!blob) return error(404, 'BLOB_UNKNOWN', 'blob unknown');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length });
      return void res.end(blob);
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (url.pathname !== '/v2/' && !m) return error(404, 'NAME_UNKNOWN', 'no such route');
    const scope = m ? `repository:${m[1]}:pull` : '';
    if (!this.authorized(req)) {
      const challenge =
        this.opts.auth === 'basic'
          ? 'Basic realm="fake"'
          : `Bearer realm="http://${this.host}/token",service="fake"${scope ? `,scope="${scope}"` : ''}`;
      return error(401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': challenge });
    }
    if (!m) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    const [, name, kind, reference] = m;
    if (kind === 'manifests') {
      if (this.opts.failManifests) return error(this.opts.failManifests, 'UNKNOWN', 'induced failure');
      const found = this.manifests.get(name!)?.get(reference!);
      if (!found) return error(404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference}`);
      res.writeHead(200, {
        'Content-Type': found.mediaType,
        'Docker-Content-Digest': digestOf(found.body),
        'Content-Length': found.body.length,
      });
      return void res.end(found.body);
    }
    const blob = this.blobs.get(reference!);
    if (!blob) return error(404, 'BLOB_UNKNOWN', `blob unknown: ${reference}`);
    if (this.opts.redirectBlobs)
      return void res.writeHead(307, { Location: `http://${this.host}/_blobstore/${reference}` }).end();
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length });
    res.end(blob);
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization ?? '';
    if (this.opts.auth === 'bearer') return auth.startsWith('Bearer ') && this.tokens.has(auth.slice(7));
    if (this.opts.auth === 'basic') return this.credentialsOk(auth);
    return true;
  }

  private credentialsOk(auth: string): boolean {
    const c = this.opts.credentials;
    if (!c) return true;
    return auth === `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  private token(req: IncomingMessage, url: URL, res: ServerResponse): void {
    if (!this.credentialsOk(req.headers.authorization ?? '')) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
    }
    if (!url.searchParams.get('scope')?.startsWith('repository:')) {
      res.writeHead(400).end();
      return;
    }
    const token = randomBytes(12).toString('hex');
    this.tokens.add(token);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: 300 }));
  }
}
