/**
 * The `docker` backend: runs each pod as a group of containers on a Docker Engine API (Docker, or Podman's compatible
 * socket). An infra container holds the pod's network namespace and file volumes; init containers run one after
 * another; app containers join the infra container's namespaces. All state lives in the engine (labels), so a
 * restarted node rebuilds its view from `listPods`/`getPodStatus` alone.
 */
import { BackendListeners } from '../backend-listeners.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { Conflict, describeError, isErrorCode, NotFound, Unavailable } from '@eci-virtual/contract';
import type { Logger } from '../../../observability/logger.js';
import type {
  Backend,
  BackendEvent,
  BackendPodStatus,
  CachedImage,
  Capacity,
  ContainerRuntimeState,
  ExecIo,
  LogOptions,
  PodRef,
  PodStartSpec,
  PodUsage,
  PreparedPod,
} from '../backend.js';
import { planPod, FILES_ROOT, type PlannedContainer } from './container-spec.js';
import { EngineClient } from './engine-client.js';
import { ImagePrepuller } from './image-prepuller.js';
import { ensureImage } from './images.js';
import { podIP, runtimeState, type ContainerInspect } from './inspect-status.js';
import { LABEL, refFromLabels } from './labels.js';
import { attachContainer, execInContainer, containerLogStream } from './docker-streams.js';
import { ndjson } from './ndjson.js';
import { tarFiles } from './volume-files.js';
import { usageFromStats, type EngineStats } from './usage.js';

export interface DockerBackendOptions {
  /** DOCKER_HOST-style address: unix:///run/podman/podman.sock or tcp://host:2375. */
  host: string;
  nodeName: string;
  /** Image of the infra container; needs /bin/sh and sleep (a busybox image does). */
  infraImage: string;
  capacity?: Partial<Capacity>;
  log: Logger;
  /** Minimum time between two pre-pulls of an image a pod lists in cache-images set (`ANNOTATION.cacheImages`) (default 10 min). */
  prepullIntervalMs?: number;
}

/** How long a start (or an init container's wait) waits for an unreachable engine API to come back. */
const ENGINE_RETURN_MS = 60_000;

interface ContainerSummary {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string>;
  State?: string;
}

export class DockerBackend implements Backend {
  readonly name = 'docker';
  readonly engine: EngineClient;
  private readonly listeners = new BackendListeners();
  /** Running init/app start sequences, by pod uid, so deletion can stop them. */
  private readonly sequences = new Map<string, AbortController>();
  /** Start failures the engine does not keep in inspect output (by container id). */
  private readonly startErrors = new Map<string, string>();
  /**
   * Each pod's containers, by uid: status syncs inspect them directly instead of a filtered list call, whose cost
   * grows with everything else on the engine. Filled on create or the first list; dropped on delete or a 404.
   */
  private readonly known = new Map<string, ContainerSummary[]>();

  private readonly prepuller: ImagePrepuller;

  constructor(private readonly opts: DockerBackendOptions) {
    this.engine = new EngineClient(opts.host);
    this.prepuller = new ImagePrepuller({
      pull: (image, auths, signal) => ensureImage(this.engine, image, 'Always', [...auths], () => undefined, signal),
      log: opts.log.child({ backend: 'docker', node: opts.nodeName }),
      ...(opts.prepullIntervalMs !== undefined ? { intervalMs: opts.prepullIntervalMs } : {}),
    });
  }

  cachedImages(): CachedImage[] {
    return this.prepuller.cached().map((image) => ({ names: [image] }));
  }

  onChange(listener: (ref: PodRef) => void): void {
    this.listeners.onChange(listener);
  }

  onEvent(listener: (e: BackendEvent) => void): void {
    this.listeners.onEvent(listener);
  }

  private changed(ref: PodRef): void {
    this.listeners.changed(ref);
  }

  private event(ref: PodRef, type: BackendEvent['type'], reason: string, message: string, container?: string): void {
    this.listeners.event({ ref, type, reason, message, ...(container ? { container } : {}) });
  }

  private filters(labels: string[]): string {
    return JSON.stringify({ label: [`${LABEL.node}=${this.opts.nodeName}`, ...labels] });
  }

  private async containersOf(uid: string): Promise<ContainerSummary[]> {
    return this.engine.json<ContainerSummary[]>('GET', '/containers/json', {
      query: { all: true, filters: this.filters([`${LABEL.uid}=${uid}`]) },
    });
  }

  async createPod(prepared: PreparedPod, signal: AbortSignal): Promise<void> {
    const { ref } = prepared;
    const plan = planPod(prepared, { nodeName: this.opts.nodeName, infraImage: this.opts.infraImage });
    const existing = await this.containersOf(ref.uid);
    if (existing.length) {
      // A previous attempt got this far (the engine went away mid-way, or the node restarted): carry on from there
      // when every container exists, else start over — nothing of the pod has run yet.
      const spec = {
        initContainers: plan.init.map((c) => c.container!),
        containers: plan.app.map((c) => c.container!),
        restartPolicy: prepared.pod.spec?.restartPolicy ?? 'Always',
      };
      if ((await this.resumeFrom(ref, existing, spec)) === 'resumed') return;
      await this.deletePod(ref, 0);
    }
    // The repository's image cache list, warmed in the background for this and later jobs; never waited for.
    this.prepuller.prepull(prepared.cacheImages, prepared.registryAuths);

    for (const c of [plan.infra, ...plan.init, ...plan.app]) {
      await ensureImage(
        this.engine,
        c.image,
        c.pullPolicy,
        prepared.registryAuths,
        (e) => c.container && this.event(ref, 'Normal', e.reason, e.message, c.container),
        signal,
      ); // a pull failure propagates: the node records it as the pod's Failed event and status
    }
    for (const v of plan.volumes) {
      await this.engine.json('POST', '/volumes/create', {
        body: {
          Name: v.name,
          Labels: { [LABEL.node]: this.opts.nodeName, [LABEL.uid]: ref.uid, [LABEL.volume]: v.volume },
        },
      });
    }
    const infraId = await this.create(plan.infra);
    await this.engine.stream('POST', `/containers/${infraId}/start`).then((r) => r.resume());
    for (const v of prepared.volumes) {
      if (v.kind !== 'files' || !v.files?.length) continue;
      const res = await this.engine.stream('PUT', `/containers/${infraId}/archive`, {
        query: { path: `${FILES_ROOT}/${v.name}` },
        raw: {
          data: await tarFiles(v.files, prepared.pod.spec?.securityContext?.fsGroup ?? undefined),
          type: 'application/x-tar',
        },
      });
      // An unread response keeps its pooled socket busy for good: 64 such pods and the engine client stalls.
      res.resume();
    }
    const ids = new Map<PlannedContainer, string>();
    for (const c of [...plan.init, ...plan.app]) {
      ids.set(c, await this.create(c));
      this.event(ref, 'Normal', 'Created', `Created container: ${c.container}`, c.container);
    }
    this.known.set(ref.uid, [
      { Id: infraId, Labels: plan.infra.body.Labels },
      ...[...ids].map(([c, id]) => ({ Id: id, Labels: c.body.Labels })),
    ]);
    this.changed(ref);
    const sequence = new AbortController();
    signal.addEventListener('abort', () => sequence.abort(), { once: true });
    this.sequences.set(ref.uid, sequence);
    const step = (c: PlannedContainer): SequenceStep => ({ container: c.container!, id: ids.get(c)! });
    const run = this.startSequence(
      ref,
      plan.init.map(step),
      plan.app.map(step),
      sequence.signal,
      prepared.pod.spec?.restartPolicy ?? 'Always',
    ).finally(() => this.sequences.delete(ref.uid));
    // Without init containers the pod is started before we return; init containers may take long, so they run on.
    if (plan.init.length === 0) await run;
    else
      void run.catch((err: unknown) =>
        this.opts.log.warn('init sequence failed', { pod: `${ref.namespace}/${ref.name}`, err: describeError(err) }),
      );
  }

  private async create(c: PlannedContainer): Promise<string> {
    try {
      const res = await this.engine.json<{ Id: string }>('POST', '/containers/create', {
        query: { name: c.name },
        body: c.body,
      });
      return res.Id;
    } catch (err) {
      // Docker answers 409 for a duplicate name; Podman 4.3 answers 500 "... already in use".
      if (err instanceof Conflict || /already in use/i.test((err as Error).message)) {
        const existing = await this.engine.json<ContainerInspect>('GET', `/containers/${c.name}/json`);
        return existing.Id;
      }
      throw err;
    }
  }

  /**
   * Starts one container. While the engine's API is unreachable (its service restarting: the containers live on)
   * the start is tried again for up to ENGINE_RETURN_MS rather than failing a container that did nothing wrong.
   */
  private async start(ref: PodRef, container: string, id: string, signal?: AbortSignal): Promise<boolean> {
    const giveUpAt = Date.now() + ENGINE_RETURN_MS;
    try {
      for (;;) {
        try {
          const res = await this.engine.stream('POST', `/containers/${id}/start`);
          res.resume();
          this.event(ref, 'Normal', 'Started', `Started container ${container}`, container);
          return true;
        } catch (err) {
          if (isEngineUnreachable(err) && Date.now() < giveUpAt && !signal?.aborted) {
            await sleep(1_000, undefined, { signal }).catch(() => undefined);
            continue;
          }
          const message = describeError(err).replace(/^POST \/containers\/[^:]+: /, '');
          this.startErrors.set(id, message);
          this.event(
            ref,
            'Warning',
            'Failed',
            `Error: failed to start container "${container}": ${message}`,
            container,
          );
          return false;
        }
      }
    } finally {
      this.changed(ref);
    }
  }

  /**
   * The exit code of an init container, waiting for it to end. A wait cut by the engine going away (its API service
   * restarting; the container runs on) is asked again once the engine is back.
   */
  private async exitCode(id: string, signal: AbortSignal): Promise<number> {
    let failingSince: number | undefined;
    for (;;) {
      const asked = Date.now();
      try {
        const { StatusCode } = await this.engine.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`, {
          signal,
          longLived: true,
        });
        return StatusCode;
      } catch (err) {
        // A wait that lasted a while before it broke starts a new outage.
        if (failingSince === undefined || Date.now() - asked > 5_000) failingSince = Date.now();
        if (signal.aborted || !isEngineUnreachable(err) || Date.now() - failingSince > ENGINE_RETURN_MS) throw err;
        await sleep(1_000, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) throw err;
      }
    }
  }

  private async startSequence(
    ref: PodRef,
    init: SequenceStep[],
    app: SequenceStep[],
    signal: AbortSignal,
    restartPolicy: string,
  ): Promise<void> {
    for (const c of init) {
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) return;
        // Resumed after a node restart: an init container that already ran (or runs) is not started again.
        const startIt = attempt > 1 || c.state === undefined || c.state === 'created';
        if (startIt && !(await this.start(ref, c.container, c.id, signal))) return;
        const StatusCode = await this.exitCode(c.id, signal);
        this.changed(ref);
        if (StatusCode === 0) break;
        if (restartPolicy === 'Never' || attempt >= 5) return; // the pod fails; status shows the init exit code
        await sleep(Math.min(1_000 * 2 ** attempt, 10_000), undefined, { signal }).catch(() => undefined);
      }
    }
    if (signal.aborted) return;
    await Promise.all(
      app
        .filter((c) => c.state === undefined || c.state === 'created')
        .map((c) => this.start(ref, c.container, c.id, signal)),
    );
  }

  /** Backend.resumePod: a pod adopted after a node restart carries on where the previous process stopped. */
  async resumePod(ref: PodRef, spec: PodStartSpec): Promise<'resumed' | 'incomplete'> {
    if (this.sequences.has(ref.uid)) return 'resumed';
    return this.resumeFrom(ref, await this.containersOf(ref.uid), spec);
  }

  private async resumeFrom(
    ref: PodRef,
    containers: ContainerSummary[],
    spec: PodStartSpec,
  ): Promise<'resumed' | 'incomplete'> {
    if (this.sequences.has(ref.uid)) return 'resumed';
    const infra = containers.find((c) => c.Labels?.[LABEL.role] === 'infra');
    const byName = new Map(
      containers.filter((c) => c !== infra).map((c) => [c.Labels?.[LABEL.container] ?? '', c] as const),
    );
    const all = [...spec.initContainers, ...spec.containers];
    // Never started, the infra container may also lack the pod's files: that pod is created again.
    if (!infra || infra.State === 'created' || all.some((n) => !byName.has(n))) return 'incomplete';
    this.known.set(ref.uid, containers);
    const steps = (names: string[]) =>
      names.map((n): SequenceStep => ({ container: n, id: byName.get(n)!.Id, state: byName.get(n)!.State ?? '' }));
    const init = steps(spec.initContainers);
    const app = steps(spec.containers);
    // Nothing left to start (every app container ran), or the pod is over: the status says the rest.
    if (infra.State !== 'running' || !app.some((c) => c.state === 'created')) return 'resumed';
    const sequence = new AbortController();
    this.sequences.set(ref.uid, sequence);
    this.opts.log.info('resuming the start of a pod', {
      pod: `${ref.namespace}/${ref.name}`,
      containers: [...init, ...app].map((c) => `${c.container}:${c.state}`),
    });
    void this.startSequence(ref, init, app, sequence.signal, spec.restartPolicy)
      .catch((err: unknown) =>
        this.opts.log.warn('resumed start sequence failed', {
          pod: `${ref.namespace}/${ref.name}`,
          err: describeError(err),
        }),
      )
      .finally(() => this.sequences.delete(ref.uid));
    return 'resumed';
  }

  async deletePod(ref: PodRef, gracePeriodSeconds: number): Promise<void> {
    this.sequences.get(ref.uid)?.abort();
    this.known.delete(ref.uid);
    const containers = await this.containersOf(ref.uid);
    const infra = containers.filter((c) => c.Labels?.[LABEL.role] === 'infra');
    const others = containers.filter((c) => c.Labels?.[LABEL.role] !== 'infra');
    const stop = (c: ContainerSummary, t: number) =>
      c.State === 'running'
        ? this.engine.stream('POST', `/containers/${c.Id}/stop`, { query: { t } }).then((r) => r.resume(), ignoreGone)
        : Promise.resolve();
    await Promise.all(others.map((c) => stop(c, Math.max(0, Math.round(gracePeriodSeconds)))));
    await Promise.all(infra.map((c) => stop(c, 0)));
    for (const c of [...others, ...infra]) {
      await this.engine
        .stream('DELETE', `/containers/${c.Id}`, { query: { force: true, v: true } })
        .then((r) => r.resume(), ignoreGone);
      this.startErrors.delete(c.Id);
    }
    const volumes = await this.engine.json<{ Volumes: { Name: string }[] | null }>('GET', '/volumes', {
      query: { filters: JSON.stringify({ label: [`${LABEL.uid}=${ref.uid}`] }) },
    });
    for (const v of volumes.Volumes ?? []) {
      await this.engine
        .stream('DELETE', `/volumes/${v.Name}`, { query: { force: true } })
        .then((r) => r.resume(), ignoreGone);
    }
    this.changed(ref);
  }

  async getPodStatus(ref: PodRef): Promise<BackendPodStatus | undefined> {
    const containers = await this.containersOf(ref.uid);
    if (!containers.length) return undefined;
    const inspected = await Promise.all(
      containers.map((c) =>
        this.engine.json<ContainerInspect>('GET', `/containers/${c.Id}/json`).catch(() => undefined),
      ),
    );
    let ip: string | undefined;
    let startTime: Date | undefined;
    const init: [number, ContainerRuntimeState][] = [];
    const app: [number, ContainerRuntimeState][] = [];
    inspected.forEach((found, i) => {
      const inspect = found ?? undefined;
      const labels = containers[i]!.Labels ?? {};
      if (labels[LABEL.role] === 'infra') {
        ip = podIP(inspect);
        const started = inspect?.State?.StartedAt;
        if (started && !started.startsWith('0001')) startTime = new Date(started);
        return;
      }
      const name = labels[LABEL.container] ?? '';
      const image = inspect?.Config?.Image ?? '';
      const startError = inspect ? this.startErrors.get(inspect.Id) : undefined;
      const state = runtimeState(
        name,
        image,
        inspect && startError
          ? { ...inspect, State: { ...inspect.State, Status: 'exited', Error: inspect.State?.Error || startError } }
          : inspect,
      );
      (labels[LABEL.role] === 'init' ? init : app).push([Number(labels[LABEL.index] ?? 0), state]);
    });
    const ordered = (xs: [number, ContainerRuntimeState][]) => xs.sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    return {
      ...(ip ? { podIP: ip } : {}),
      ...(startTime ? { startTime } : {}),
      initContainers: ordered(init),
      containers: ordered(app),
    };
  }

  async listPods(): Promise<PodRef[]> {
    const infra = await this.engine.json<ContainerSummary[]>('GET', '/containers/json', {
      query: { all: true, filters: this.filters([`${LABEL.role}=infra`]) },
    });
    return infra.map((c) => refFromLabels(c.Labels)).filter((r): r is PodRef => r !== undefined);
  }

  /** The engine id of a pod's container; NotFound when the pod or container does not exist here. */
  async containerId(ref: PodRef, container: string): Promise<string> {
    const found = (await this.containersOf(ref.uid)).find((c) => c.Labels?.[LABEL.container] === container);
    if (!found) throw new NotFound(`container "${container}" not found in pod ${ref.namespace}/${ref.name}`);
    return found.Id;
  }

  async containerLogs(ref: PodRef, container: string, options: LogOptions, signal: AbortSignal): Promise<Readable> {
    return containerLogStream(this.engine, await this.containerId(ref, container), options, signal);
  }

  async exec(ref: PodRef, container: string, command: string[], io: ExecIo, signal: AbortSignal): Promise<number> {
    return execInContainer(this.engine, await this.containerId(ref, container), command, io, signal);
  }

  async attach(ref: PodRef, container: string, io: ExecIo, signal: AbortSignal): Promise<number> {
    return attachContainer(this.engine, await this.containerId(ref, container), io, signal);
  }

  /** One stats sample per running app container (the infra container's few KB are left out, as cAdvisor's pause). */
  async podUsage(refs: PodRef[]): Promise<PodUsage[]> {
    const pods = await Promise.all(
      refs.map(async (ref): Promise<PodUsage | undefined> => {
        const app = (await this.containersOf(ref.uid)).filter(
          (c) => c.Labels?.[LABEL.role] === 'app' && c.State === 'running',
        );
        if (!app.length) return undefined;
        const containers = await Promise.all(
          app.map(async (c) => {
            const stats = await this.engine
              .json<EngineStats>('GET', `/containers/${c.Id}/stats`, { query: { stream: false, 'one-shot': true } })
              .catch(() => undefined);
            return stats ? usageFromStats(c.Labels?.[LABEL.container] ?? '', stats) : undefined;
          }),
        );
        const found = containers.filter((c) => c !== undefined);
        return found.length ? { ref, time: new Date(), containers: found } : undefined;
      }),
    );
    return pods.filter((p) => p !== undefined);
  }

  async capacity(): Promise<Capacity> {
    const c = this.opts.capacity ?? {};
    if (c.cpu && c.memory && c.pods)
      return {
        cpu: c.cpu,
        memory: c.memory,
        pods: c.pods,
        ...(c.ephemeralStorage ? { ephemeralStorage: c.ephemeralStorage } : {}),
      };
    const info = await this.engine.json<{ NCPU?: number; MemTotal?: number }>('GET', '/info');
    return {
      cpu: c.cpu ?? String(info.NCPU ?? 1),
      memory: c.memory ?? `${Math.floor((info.MemTotal ?? 2 ** 30) / 1024)}Ki`,
      pods: c.pods ?? '110',
      ...(c.ephemeralStorage ? { ephemeralStorage: c.ephemeralStorage } : {}),
    };
  }

  /** Follows the engine's event stream for our containers and turns each event into a change notification. */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.opts.log.child({ backend: 'docker', node: this.opts.nodeName });
    let backoff = 500;
    while (!signal.aborted) {
      try {
        const res = await this.engine.stream('GET', '/events', {
          query: { filters: JSON.stringify({ type: ['container'], label: [`${LABEL.node}=${this.opts.nodeName}`] }) },
          signal,
          longLived: true,
        });
        backoff = 500;
        for await (const event of ndjson(res)) {
          const ref = refFromLabels((event as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes);
          if (ref) this.changed(ref);
        }
      } catch (err) {
        if (signal.aborted) break;
        log.warn('engine event stream failed; reconnecting', { err: describeError(err), backoffMs: backoff });
      }
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, 10_000);
    }
    await this.prepuller.stop();
    this.engine.close();
  }
}

/** The engine's API did not answer at all (socket refused, reset, gone), as opposed to answering with an error. */
function isEngineUnreachable(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return err instanceof Unavailable && typeof cause?.code === 'string';
}

/** One container of a start sequence; `state` is the engine's when resuming (`created`, `running`, `exited`…). */
interface SequenceStep {
  container: string;
  id: string;
  state?: string;
}

function ignoreGone(err: unknown): void {
  if (isErrorCode(err, 'NotFound')) return;
  if (err instanceof Error && /304|not modified|already stopped|not running/i.test(err.message)) return;
  throw err;
}
