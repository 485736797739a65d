/**
 * Resolves everything a pod refers to in the API — env `valueFrom`/`envFrom`, ConfigMap/Secret/downward-API/projected
 * volume contents, service-account tokens, image pull secrets — into a PreparedPod, so backends get plain values.
 * A missing mandatory ConfigMap/Secret (or key) throws MissingPodInput, which the pod loop treats as the kubelet
 * does: the pod stays Pending (CreateContainerConfigError) and is tried again until the object appears. A missing
 * optional one is skipped and reported through `ResolveContext.notice`. The event reasons are virtual-kubelet's
 * (`MandatoryConfigMapNotFound`, `OptionalSecretKeyNotFound`, …), so tooling that watches for them keeps working.
 */
import type {
  V1Container,
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1ObjectFieldSelector,
  V1Pod,
  V1ResourceFieldSelector,
  V1Volume,
} from '@kubernetes/client-node';
import { cacheImagesOf, InvalidInput, NotFound } from '@eci-virtual/contract';
import type { PodRef, PreparedPod, PreparedVolume, RegistryAuth, VolumeFile } from '../backends/backend.js';
import type { PodInputSource } from './input-source.js';
import { parseQuantity } from '../../kube/quantity.js';

export class PodConfigError extends InvalidInput {
  readonly reason = 'CreateContainerConfigError';
}

/** Which kind of reference went missing, as it appears in the event reason. */
type InputKind = 'ConfigMap' | 'Secret';

/** `Mandatory|Optional` + `ConfigMap|Secret` + `NotFound|KeyNotFound`: virtual-kubelet's event reasons. */
export function missingInputReason(optional: boolean, kind: InputKind, key: boolean): string {
  return `${optional ? 'Optional' : 'Mandatory'}${kind}${key ? 'KeyNotFound' : 'NotFound'}`;
}

/**
 * A mandatory ConfigMap/Secret or one of its keys does not exist (yet). Not a permanent failure: the kubelet keeps the
 * pod Pending with CreateContainerConfigError and starts it once the object is there.
 */
export class MissingPodInput extends NotFound {
  /** The container status' waiting reason while the pod waits for the input. */
  readonly waitingReason = 'CreateContainerConfigError';
  constructor(
    /** The Kubernetes event reason, e.g. MandatorySecretNotFound. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Something the kubelet reports as an event without stopping the pod (a missing optional reference). */
export interface InputNotice {
  reason: string;
  message: string;
}

export interface ResolveContext {
  nodeName: string;
  hostIP: string;
  podIP?: string;
  /** Injected as KUBERNETES_SERVICE_HOST/PORT into every container, as kubelets do for the `kubernetes` Service. */
  apiServer?: { host: string; port: number };
  /** The backend mounts NFS volumes (Backend.nfsVolumes); otherwise pods with `nfs` volumes are refused here. */
  nfsVolumes?: boolean;
  /** The backend's name, for that refusal's message. */
  backendName?: string;
  /** Told about skipped optional references (virtual-kubelet's Optional…NotFound events). */
  notice?: (n: InputNotice) => void;
}

/** Throws MissingPodInput for a mandatory reference, reports a notice for an optional one. */
function missing(ctx: ResolveContext, optional: boolean | undefined, kind: InputKind, key: boolean, message: string) {
  const reason = missingInputReason(optional === true, kind, key);
  if (!optional) throw new MissingPodInput(reason, message);
  ctx.notice?.({ reason, message: `skipping optional reference: ${message}` });
}

export function podRef(pod: V1Pod): PodRef {
  const m = pod.metadata ?? {};
  if (!m.namespace || !m.name || !m.uid) throw new InvalidInput('pod has no namespace/name/uid');
  return { namespace: m.namespace, name: m.name, uid: m.uid };
}

export function fieldValue(pod: V1Pod, selector: V1ObjectFieldSelector, ctx: ResolveContext): string {
  const path = selector.fieldPath;
  const m = pod.metadata ?? {};
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (mapKey) return (mapKey[1] === 'labels' ? m.labels : m.annotations)?.[mapKey[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP ?? '';
    default:
      throw new PodConfigError(`unsupported fieldRef ${path}`);
  }
}

/** The downward API's `key="value"` lines, sorted by key. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

export function resourceValue(container: V1Container | undefined, selector: V1ResourceFieldSelector): string {
  const [kind, resource] = selector.resource.split('.') as [string, string];
  const divisor = selector.divisor === undefined ? 1 : parseQuantity(String(selector.divisor));
  const set = kind === 'limits' ? container?.resources?.limits : container?.resources?.requests;
  const raw = set?.[resource] ?? container?.resources?.limits?.[resource];
  if (raw === undefined) return resource === 'cpu' ? '1' : '0';
  return String(Math.ceil(parseQuantity(String(raw)) / divisor));
}

/** Expands `$(VAR)` references against earlier variables, as the kubelet does (`$$` escapes). */
export function expandVars(value: string, vars: Map<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : match;
  });
}

const decode = (b64: string) => Buffer.from(b64, 'base64');

async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  source: PodInputSource,
  ctx: ResolveContext,
): Promise<[string, string][]> {
  const ns = pod.metadata!.namespace!;
  const vars = new Map<string, string>();
  if (ctx.apiServer) {
    vars.set('KUBERNETES_SERVICE_HOST', ctx.apiServer.host);
    vars.set('KUBERNETES_SERVICE_PORT', String(ctx.apiServer.port));
    vars.set('KUBERNETES_SERVICE_PORT_HTTPS', String(ctx.apiServer.port));
  }
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await source.configMap(ns, from.configMapRef.name!);
      if (!cm)
        missing(ctx, from.configMapRef.optional, 'ConfigMap', false, `configmap "${from.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(cm?.data ?? {})) vars.set(prefix + k, v);
    }
    if (from.secretRef) {
      const secret = await source.secret(ns, from.secretRef.name!);
      if (!secret) missing(ctx, from.secretRef.optional, 'Secret', false, `secret "${from.secretRef.name}" not found`);
      for (const [k, v] of Object.entries(secret?.data ?? {})) vars.set(prefix + k, decode(v).toString('utf8'));
    }
  }
  for (const env of container.env ?? []) {
    const vf = env.valueFrom;
    let value: string | undefined;
    if (!vf) value = expandVars(env.value ?? '', vars);
    else if (vf.fieldRef) value = fieldValue(pod, vf.fieldRef, ctx);
    else if (vf.resourceFieldRef) value = resourceValue(container, vf.resourceFieldRef);
    else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = await source.configMap(ns, ref.name!);
      value = cm?.data?.[ref.key];
      if (value === undefined) {
        const message = cm
          ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name} (env ${env.name})`
          : `configmap "${ref.name}" not found (env ${env.name})`;
        missing(ctx, ref.optional, 'ConfigMap', cm !== undefined, message);
      }
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const secret = await source.secret(ns, ref.name!);
      const raw = secret?.data?.[ref.key];
      if (raw === undefined) {
        const message = secret
          ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name} (env ${env.name})`
          : `secret "${ref.name}" not found (env ${env.name})`;
        missing(ctx, ref.optional, 'Secret', secret !== undefined, message);
      }
      value = raw === undefined ? undefined : decode(raw).toString('utf8');
    }
    if (value !== undefined) {
      vars.delete(env.name); // keep spec order: a later definition wins and moves to its position
      vars.set(env.name, value);
    }
  }
  return [...vars.entries()];
}

/** One ConfigMap/Secret a volume projects, for the messages about it. */
interface VolumeSource {
  kind: InputKind;
  name: string;
  optional: boolean | undefined;
}

function keyFiles(
  data: Record<string, Buffer> | undefined,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  src: VolumeSource,
  ctx: ResolveContext,
): VolumeFile[] {
  if (!data) return []; // a missing optional source projects nothing
  if (!items?.length) {
    return Object.entries(data).map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  }
  const files: VolumeFile[] = [];
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      missing(ctx, src.optional, src.kind, true, `${src.kind.toLowerCase()} "${src.name}" has no key ${item.key}`);
      continue;
    }
    files.push({ path: item.path, content, mode: item.mode ?? defaultMode });
  }
  return files;
}

function downwardFiles(
  pod: V1Pod,
  items: V1DownwardAPIVolumeFile[],
  defaultMode: number,
  ctx: ResolveContext,
): VolumeFile[] {
  return items.map((item) => {
    let value = '';
    if (item.fieldRef) value = fieldValue(pod, item.fieldRef, ctx);
    else if (item.resourceFieldRef) {
      const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
        (x) => x.name === item.resourceFieldRef!.containerName,
      );
      value = resourceValue(c, item.resourceFieldRef);
    }
    return { path: item.path, content: Buffer.from(value), mode: item.mode ?? defaultMode };
  });
}

/** The ConfigMap's data and binaryData as bytes; undefined when it is missing (and optional). */
async function configMapData(
  source: PodInputSource,
  ns: string,
  src: VolumeSource,
  ctx: ResolveContext,
): Promise<Record<string, Buffer> | undefined> {
  const cm = await source.configMap(ns, src.name);
  if (!cm) {
    missing(ctx, src.optional, 'ConfigMap', false, `configmap "${src.name}" not found`);
    return undefined;
  }
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) data[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) data[k] = decode(v);
  return data;
}

async function secretData(
  source: PodInputSource,
  ns: string,
  src: VolumeSource,
  ctx: ResolveContext,
): Promise<Record<string, Buffer> | undefined> {
  const secret = await source.secret(ns, src.name);
  if (!secret) {
    missing(ctx, src.optional, 'Secret', false, `secret "${src.name}" not found`);
    return undefined;
  }
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = decode(v);
  return data;
}

/** An `nfs` volume, checked as the API server does (server and path required, path absolute). */
function nfsVolume(v: V1Volume, ctx: ResolveContext): PreparedVolume {
  if (!ctx.nfsVolumes) {
    const backend = ctx.backendName ? ` with the ${ctx.backendName} backend` : '';
    throw new InvalidInput(
      `volume ${v.name}: nfs volumes are not supported on a virtual node${backend} (use emptyDir, configMap, secret, downwardAPI or projected)`,
    );
  }
  const { server, path, readOnly } = v.nfs!;
  if (!server?.trim()) throw new InvalidInput(`volume ${v.name}: nfs.server is required`);
  if (!path?.startsWith('/')) throw new InvalidInput(`volume ${v.name}: nfs.path must be an absolute path`);
  return { name: v.name, kind: 'nfs', nfs: { server: server.trim(), path, readOnly: readOnly ?? false } };
}

async function volume(pod: V1Pod, v: V1Volume, source: PodInputSource, ctx: ResolveContext): Promise<PreparedVolume> {
  const ns = pod.metadata!.namespace!;
  if (v.nfs) return nfsVolume(v, ctx);
  if (v.emptyDir) {
    return {
      name: v.name,
      kind: 'emptyDir',
      ...(v.emptyDir.medium === 'Memory' ? { medium: 'Memory' as const } : {}),
      ...(v.emptyDir.sizeLimit !== undefined ? { sizeLimitBytes: parseQuantity(String(v.emptyDir.sizeLimit)) } : {}),
    };
  }
  if (v.configMap) {
    const src: VolumeSource = { kind: 'ConfigMap', name: v.configMap.name!, optional: v.configMap.optional };
    const data = await configMapData(source, ns, src, ctx);
    return {
      name: v.name,
      kind: 'files',
      files: keyFiles(data, v.configMap.items, v.configMap.defaultMode ?? 0o644, src, ctx),
    };
  }
  if (v.secret) {
    const src: VolumeSource = { kind: 'Secret', name: v.secret.secretName!, optional: v.secret.optional };
    const data = await secretData(source, ns, src, ctx);
    return {
      name: v.name,
      kind: 'files',
      files: keyFiles(data, v.secret.items, v.secret.defaultMode ?? 0o644, src, ctx),
    };
  }
  if (v.downwardAPI) {
    return {
      name: v.name,
      kind: 'files',
      files: downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644, ctx),
    };
  }
  if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    const files: VolumeFile[] = [];
    for (const s of v.projected.sources ?? []) {
      if (s.configMap) {
        const src: VolumeSource = { kind: 'ConfigMap', name: s.configMap.name!, optional: s.configMap.optional };
        files.push(...keyFiles(await configMapData(source, ns, src, ctx), s.configMap.items, mode, src, ctx));
      } else if (s.secret) {
        const src: VolumeSource = { kind: 'Secret', name: s.secret.name!, optional: s.secret.optional };
        files.push(...keyFiles(await secretData(source, ns, src, ctx), s.secret.items, mode, src, ctx));
      } else if (s.downwardAPI) {
        files.push(...downwardFiles(pod, s.downwardAPI.items ?? [], mode, ctx));
      } else if (s.serviceAccountToken) {
        const t = s.serviceAccountToken;
        const token = await source.serviceAccountToken(ns, pod.spec?.serviceAccountName ?? 'default', {
          ...(t.audience ? { audience: t.audience } : {}),
          expirationSeconds: t.expirationSeconds ?? 3607,
          pod: { name: pod.metadata!.name!, uid: pod.metadata!.uid! },
        });
        files.push({ path: t.path, content: Buffer.from(token), mode });
      } else {
        throw new PodConfigError(`volume ${v.name}: unsupported projected source`);
      }
    }
    return { name: v.name, kind: 'files', files };
  }
  const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  throw new InvalidInput(
    `volume ${v.name}: ${kind} volumes are not supported on a virtual node (use emptyDir, configMap, secret, downwardAPI or projected)`,
  );
}

async function registryAuths(pod: V1Pod, source: PodInputSource): Promise<RegistryAuth[]> {
  const auths: RegistryAuth[] = [];
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    if (!ref.name) continue;
    const secret = await source.secret(pod.metadata!.namespace!, ref.name);
    if (!secret) continue; // the kubelet also ignores missing pull secrets (and pulls anonymously)
    const raw = secret.data?.['.dockerconfigjson'] ?? secret.data?.['.dockercfg'];
    if (!raw) continue;
    const parsed = JSON.parse(decode(raw).toString('utf8')) as { auths?: Record<string, RegistryAuthJson> } & Record<
      string,
      RegistryAuthJson
    >;
    const entries = parsed.auths ?? parsed;
    for (const [registry, a] of Object.entries(entries)) {
      if (typeof a !== 'object' || a === null) continue;
      auths.push({
        registry,
        ...(a.username ? { username: a.username } : {}),
        ...(a.password ? { password: a.password } : {}),
        ...(a.auth ? { auth: a.auth } : {}),
        ...(a.identitytoken ? { identityToken: a.identitytoken } : {}),
      });
    }
  }
  return auths;
}

interface RegistryAuthJson {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
}

export async function preparePod(pod: V1Pod, source: PodInputSource, ctx: ResolveContext): Promise<PreparedPod> {
  const ref = podRef(pod);
  const env: PreparedPod['env'] = {};
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    env[c.name] = await containerEnv(pod, c, source, ctx);
  }
  const volumes: PreparedVolume[] = [];
  for (const v of pod.spec?.volumes ?? []) volumes.push(await volume(pod, v, source, ctx));
  return {
    ref,
    pod,
    env,
    volumes,
    registryAuths: await registryAuths(pod, source),
    cacheImages: cacheImagesOf(pod.metadata?.annotations),
  };
}
