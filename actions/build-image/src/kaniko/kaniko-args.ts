/**
 * Build options → the kaniko executor's argv, for an exec in the job pod's idle `kaniko` container. Pure: no I/O, so
 * every rule is unit-tested; anything a workflow controls is validated here and refused with InvalidInput, because
 * the values end up as executor flags and as image references pushed with the job's network identity.
 *
 * Verified with osscontainertools/kaniko v1.27.5 in an unprivileged container on the local Podman engine (flags,
 * timings and the registry setup: README.md next to this file; real output: fixtures/):
 *
 *   kanikoArgs({
 *     context: '/__w/app',
 *     destinations: ['10.88.0.1:5001/team/app:1.2.3'],
 *     cache: { repo: '10.88.0.1:5001/team/app/cache' },
 *     ...localRegistryAccess('127.0.0.1:5001', '10.88.0.1'),
 *   })
 *
 * Flags that are always set, and why:
 * - `--ignore-path=/busybox`: kaniko empties `/` for every stage and on `--cleanup`, keeping only /kaniko, mounts and
 *   ignored paths. Without it the first build deletes the container's own shell, and the idle loop and every later
 *   exec fail.
 * - `--cleanup`: the container outlives the build (one per job, several builds possible); without it the next build
 *   would start on top of the last image's filesystem.
 * - `--log-format=text`: the default "color" format puts ANSI codes in the job log (kaniko-output.ts reads both).
 *
 * Deliberately not offered: `--kaniko-dir`. Any directory other than /kaniko makes the executor *move* /kaniko there
 * (executor binary included), so the container's second build finds no executor.
 */
import { posix } from 'node:path';
import { InvalidInput } from '@eci-virtual/contract';

export const KANIKO_EXECUTOR = '/kaniko/executor';
/** Paths of the kaniko image that every build must leave alone (see the module comment). */
export const KANIKO_KEEP_PATHS = ['/busybox'] as const;

export type SnapshotMode = 'full' | 'redo' | 'time';
export type Verbosity = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'panic';

export interface KanikoCacheOptions {
  /** Repository (no tag) the layer cache is pushed to and read from, e.g. `10.88.0.1:5001/team/app/cache`. */
  repo: string;
  /** Go duration (e.g. `24h`, `90m`); cached layers older than this are rebuilt. Kaniko's default is 336h. */
  ttl?: string;
  /** Also cache COPY layers (`--cache-copy-layers`); RUN layers are always cached. */
  copyLayers?: boolean;
}

export interface KanikoBuildOptions {
  /** Build context: an absolute directory inside the kaniko container, normally below the workspace (/__w). */
  context: string;
  /** Dockerfile path relative to the context (default `Dockerfile`); it may not leave the context. */
  dockerfile?: string;
  /** Image references to push (`registry/repo:tag` or `…@sha256:…`). At least one unless `noPush`. */
  destinations: string[];
  /** Build without pushing (`--no-push`); `destinations` may then be empty. */
  noPush?: boolean;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** The stage to build (`--target`). */
  target?: string;
  cache?: KanikoCacheOptions;
  /** `host[:port]` of registries spoken to in plain HTTP, for pulls and pushes (`--insecure-registry`). */
  insecureRegistries?: string[];
  /**
   * Pull-side registry rewrites (`--registry-map`): `{ '127.0.0.1:5001': '10.88.0.1:5001' }` lets a Dockerfile keep
   * the references the host uses while the pod reaches the same registry through the bridge gateway. Pushes and the
   * cache repository are not rewritten: spell them with the address the pod reaches.
   */
  registryMap?: Record<string, string>;
  /** Registries to pull base images from instead of Docker Hub (`--registry-mirror`), `host[:port][/path]`. */
  registryMirrors?: string[];
  /** Absolute file (in the container) that receives the pushed digest (`sha256:…`). */
  digestFile?: string;
  /** Absolute file that receives `repo@sha256:…` of the pushed image. */
  imageNameWithDigestFile?: string;
  snapshotMode?: SnapshotMode;
  /** Strip timestamps so an unchanged build yields the same digest. */
  reproducible?: boolean;
  /** One snapshot at the end instead of one per instruction (faster, no per-instruction cache layers). */
  singleSnapshot?: boolean;
  /** More absolute paths to leave out of snapshots (in addition to KANIKO_KEEP_PATHS). */
  ignorePaths?: string[];
  pushRetry?: number;
  verbosity?: Verbosity;
}

// The distribution reference grammar (docker/distribution reference.go), spelled out here rather than imported.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const REPOSITORY = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE_RE = new RegExp(`^(${REPOSITORY})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const REPOSITORY_RE = new RegExp(`^${REPOSITORY}$`);
const REGISTRY_RE = new RegExp(`^${DOMAIN}$`);
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);

/**
 * The grammar alone reads `Team/app` as registry "Team"; like Docker, treat the first component as a registry only
 * when it has a dot or port or is localhost, so an uppercase repository path is refused instead of being pushed to a
 * host named "Team".
 */
function hasAmbiguousDomain(repo: string): boolean {
  const slash = repo.indexOf('/');
  if (slash < 0) return false;
  const first = repo.slice(0, slash);
  return !/[.:[]/.test(first) && first !== 'localhost' && !PATH_COMPONENT_RE.test(first);
}
const GO_DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const ARG_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY_RE = /^[^\s=]+$/;
const VERBOSITIES: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic'];
const STAGE_RE = /^[A-Za-z][A-Za-z0-9_.-]*$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/** Throws InvalidInput unless `ref` is a full image reference with a tag or digest (what kaniko can push to). */
export function validateImageReference(ref: string, what = 'image reference'): void {
  const m = REFERENCE_RE.exec(ref);
  if (!m || ref.length > 512 || hasAmbiguousDomain(m[1]!))
    throw new InvalidInput(`${what} "${ref}" is not a valid image reference`);
  if (m[2] === undefined && m[3] === undefined)
    throw new InvalidInput(`${what} "${ref}" needs a tag or digest (e.g. "${ref}:latest")`);
  if (m[1]!.length > 255) throw new InvalidInput(`${what} "${ref}": repository name longer than 255 characters`);
}

function validateRepository(repo: string, what: string): void {
  if (!REPOSITORY_RE.test(repo) || repo.length > 255 || hasAmbiguousDomain(repo))
    throw new InvalidInput(`${what} "${repo}" is not a repository name (no tag or digest; lowercase path)`);
}

function validateRegistry(registry: string, what: string): void {
  if (!REGISTRY_RE.test(registry)) throw new InvalidInput(`${what} "${registry}" is not a registry host[:port]`);
}

function validateAbsolutePath(path: string, what: string): string {
  if (CONTROL_RE.test(path)) throw new InvalidInput(`${what} contains control characters`);
  if (!path.startsWith('/')) throw new InvalidInput(`${what} "${path}" must be an absolute path`);
  if (path.split('/').includes('..')) throw new InvalidInput(`${what} "${path}" must not contain ".."`);
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/$/, '') : normal;
}

/** The Dockerfile as an absolute path inside the context; refuses absolute paths and any escape from the context. */
export function resolveDockerfile(context: string, dockerfile = 'Dockerfile'): string {
  if (CONTROL_RE.test(dockerfile) || dockerfile === '')
    throw new InvalidInput(`dockerfile "${dockerfile}" is empty or contains control characters`);
  if (dockerfile.startsWith('/'))
    throw new InvalidInput(`dockerfile "${dockerfile}" must be relative to the build context`);
  const inContext = posix.normalize(dockerfile);
  if (inContext === '..' || inContext.startsWith('../') || inContext === '.')
    throw new InvalidInput(`dockerfile "${dockerfile}" is outside the build context`);
  return posix.join(context, inContext);
}

function keyValues(
  flag: string,
  values: Record<string, string> | undefined,
  what: string,
  validName: (k: string) => boolean,
): string[] {
  return Object.entries(values ?? {}).map(([k, v]) => {
    if (!validName(k)) throw new InvalidInput(`${what} name "${k}" is not valid`);
    if (CONTROL_RE.test(v.replace(/\t/g, ''))) throw new InvalidInput(`${what} "${k}" contains control characters`);
    return `${flag}=${k}=${v}`;
  });
}

/**
 * What a pod needs to use the engine's local registry: the host spells it `127.0.0.1:<port>`, which inside a pod is
 * the pod's own loopback, so pulls are mapped to the bridge gateway and both addresses are plain HTTP. The registry
 * has to listen on the gateway too (`http.addr: 0.0.0.0:<port>`, see runner/scripts/lib/engine-config.ts).
 */
export function localRegistryAccess(
  hostRegistry: string,
  podHost: string,
): Pick<KanikoBuildOptions, 'registryMap' | 'insecureRegistries'> {
  validateRegistry(hostRegistry, 'registry');
  const port = /:(\d+)$/.exec(hostRegistry)?.[1];
  const inPod = port ? `${podHost}:${port}` : podHost;
  validateRegistry(inPod, 'registry address for pods');
  return { registryMap: { [hostRegistry]: inPod }, insecureRegistries: [inPod] };
}

/** The executor's argv (`/kaniko/executor` first). Throws InvalidInput for anything it would not accept. */
export function kanikoArgs(opts: KanikoBuildOptions): string[] {
  const context = validateAbsolutePath(opts.context, 'build context');
  if (context === '/') throw new InvalidInput('the build context cannot be "/"');
  const dockerfile = resolveDockerfile(context, opts.dockerfile);
  if (!opts.noPush && opts.destinations.length === 0)
    throw new InvalidInput('a kaniko build needs at least one destination (or noPush)');
  opts.destinations.forEach((d) => validateImageReference(d, 'destination'));
  if (opts.target !== undefined && !STAGE_RE.test(opts.target))
    throw new InvalidInput(`target "${opts.target}" is not a stage name`);

  const args = [KANIKO_EXECUTOR, `--context=dir://${context}`, `--dockerfile=${dockerfile}`];
  args.push(...opts.destinations.map((d) => `--destination=${d}`));
  if (opts.noPush) args.push('--no-push');
  args.push(...keyValues('--build-arg', opts.buildArgs, 'build arg', (k) => ARG_NAME_RE.test(k)));
  args.push(...keyValues('--label', opts.labels, 'label', (k) => LABEL_KEY_RE.test(k) && !CONTROL_RE.test(k)));
  if (opts.target !== undefined) args.push(`--target=${opts.target}`);

  if (opts.cache) {
    validateRepository(opts.cache.repo, 'cache repository');
    args.push('--cache=true', `--cache-repo=${opts.cache.repo}`);
    if (opts.cache.ttl !== undefined) {
      if (!GO_DURATION_RE.test(opts.cache.ttl))
        throw new InvalidInput(`cache ttl "${opts.cache.ttl}" is not a duration like 24h or 90m`);
      args.push(`--cache-ttl=${opts.cache.ttl}`);
    }
    if (opts.cache.copyLayers) args.push('--cache-copy-layers');
  }

  for (const registry of opts.insecureRegistries ?? []) {
    validateRegistry(registry, 'insecure registry');
    args.push(`--insecure-registry=${registry}`);
  }
  for (const mirror of opts.registryMirrors ?? []) {
    const [host, ...path] = mirror.split('/');
    validateRegistry(host ?? '', 'registry mirror');
    if (path.length && !REPOSITORY_RE.test(path.join('/')))
      throw new InvalidInput(`registry mirror "${mirror}" has an invalid path`);
    args.push(`--registry-mirror=${mirror}`);
  }
  for (const [from, to] of Object.entries(opts.registryMap ?? {})) {
    validateRegistry(from, 'registry map source');
    validateRegistry(to, 'registry map target');
    args.push(`--registry-map=${from}=${to}`);
  }

  if (opts.digestFile !== undefined) args.push(`--digest-file=${validateAbsolutePath(opts.digestFile, 'digest file')}`);
  if (opts.imageNameWithDigestFile !== undefined)
    args.push(
      `--image-name-with-digest-file=${validateAbsolutePath(opts.imageNameWithDigestFile, 'image-name-with-digest file')}`,
    );
  if (opts.snapshotMode !== undefined) {
    if (!['full', 'redo', 'time'].includes(opts.snapshotMode))
      throw new InvalidInput(`snapshot mode "${String(opts.snapshotMode)}" is not full, redo or time`);
    args.push(`--snapshot-mode=${opts.snapshotMode}`);
  }
  if (opts.reproducible) args.push('--reproducible');
  if (opts.singleSnapshot) args.push('--single-snapshot');
  const ignore = [...KANIKO_KEEP_PATHS, ...(opts.ignorePaths ?? []).map((p) => validateAbsolutePath(p, 'ignore path'))];
  args.push(...[...new Set(ignore)].map((p) => `--ignore-path=${p}`));
  if (opts.pushRetry !== undefined) {
    if (!Number.isInteger(opts.pushRetry) || opts.pushRetry < 0 || opts.pushRetry > 10)
      throw new InvalidInput(`push retry ${opts.pushRetry} must be an integer from 0 to 10`);
    args.push(`--push-retry=${opts.pushRetry}`);
  }
  if (opts.verbosity !== undefined) {
    if (!VERBOSITIES.includes(opts.verbosity))
      throw new InvalidInput(`verbosity "${String(opts.verbosity)}" is not one of ${VERBOSITIES.join(', ')}`);
    args.push(`--verbosity=${opts.verbosity}`);
  }
  args.push('--cleanup', '--log-format=text');
  return args;
}
