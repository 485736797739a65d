/**
 * Resolves everything a pod refers to in the API — env `valueFrom`/`envFrom`, ConfigMap/Secret/downward-API/projected
 * volume contents, service-account tokens, image pull secrets — into a PreparedPod, so backends get plain values.
 * Missing references fail with InvalidInput and the reason the kubelet would give (CreateContainerConfigError).
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
import { cacheImagesOf, InvalidInput } from '@eci-virtual/contract';
import type { PodRef, PreparedPod, PreparedVolume, RegistryAuth, VolumeFile } from '../backends/backend.js';
import type { PodInputSource } from './input-source.js';
import { parseQuantity } from '../../kube/quantity.js';

export class PodConfigError extends InvalidInput {
  readonly reason = 'CreateContainerConfigError';
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
      if (!cm && !from.configMapRef.optional)
        throw new PodConfigError(`configmap "${from.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(cm?.data ?? {})) vars.set(prefix + k, v);
    }
    if (from.secretRef) {
      const secret = await source.secret(ns, from.secretRef.name!);
      if (!secret && !from.secretRef.optional) throw new PodConfigError(`secret "${from.secretRef.name}" not found`);
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
      if (value === undefined && !ref.optional) {
        throw new PodConfigError(
          cm ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` : `configmap "${ref.name}" not found`,
        );
      }
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const secret = await source.secret(ns, ref.name!);
      const raw = secret?.data?.[ref.key];
      if (raw === undefined && !ref.optional) {
        throw new PodConfigError(
          secret ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` : `secret "${ref.name}" not found`,
        );
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

function keyFiles(
  data: Record<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
): VolumeFile[] {
  if (!items?.length) {
    return Object.entries(data).map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  }
  return items.map((item) => {
    const content = data[item.key];
    if (content === undefined) throw new PodConfigError(`${what} has no key ${item.key}`);
    return { path: item.path, content, mode: item.mode ?? defaultMode };
  });
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

async function configMapData(source: PodInputSource, ns: string, name: string, optional: boolean | undefined) {
  const cm = await source.configMap(ns, name);
  if (!cm && !optional) throw new PodConfigError(`configmap "${name}" not found`);
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) data[k] = decode(v);
  return data;
}

async function secretData(source: PodInputSource, ns: string, name: string, optional: boolean | undefined) {
  const secret = await source.secret(ns, name);
  if (!secret && !optional) throw new PodConfigError(`secret "${name}" not found`);
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(secret?.data ?? {})) data[k] = decode(v);
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
    const data = await configMapData(source, ns, v.configMap.name!, v.configMap.optional);
    return {
      name: v.name,
      kind: 'files',
      files: keyFiles(data, v.configMap.items, v.configMap.defaultMode ?? 0o644, `configmap ${v.configMap.name}`),
    };
  }
  if (v.secret) {
    const data = await secretData(source, ns, v.secret.secretName!, v.secret.optional);
    return {
      name: v.name,
      kind: 'files',
      files: keyFiles(data, v.secret.items, v.secret.defaultMode ?? 0o644, `secret ${v.secret.secretName}`),
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
        const data = await configMapData(source, ns, s.configMap.name!, s.configMap.optional);
        files.push(...keyFiles(data, s.configMap.items, mode, `configmap ${s.configMap.name}`));
      } else if (s.secret) {
        const data = await secretData(source, ns, s.secret.name!, s.secret.optional);
        files.push(...keyFiles(data, s.secret.items, mode, `secret ${s.secret.name}`));
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
