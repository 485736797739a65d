/**
 * The `eci` backend: each pod is one Alibaba Cloud ECI container group (OpenAPI 2018-08-08). The pieces, one job
 * each: pod-mapping.ts builds the CreateContainerGroup request (and refuses what ECI cannot run before any call),
 * eci-client.ts signs, rate-limits and retries calls, status-poller.ts is the one batch loop that keeps every
 * group's state and events fresh, log-follower.ts emulates `logs -f` by polling, exec-websocket.ts bridges exec
 * sessions. All state lives in ECI (tags), so a restarted node finds its groups again through `listPods`.
 *
 * What ECI cannot do, and what this backend therefore refuses: attach (no API), previous-instance logs, exec
 * commands beyond 20 arguments of 256 characters, and a per-delete grace period (ECI applies the group's
 * TerminationGracePeriodSeconds, set at creation from the pod spec).
 */
import { BackendListeners } from '../backend-listeners.js';
import type { Readable } from 'node:stream';
import { describeError, InvalidInput, isErrorCode, NotFound, SPOT_REASON } from '@eci-virtual/contract';
import type { Logger } from '../../../observability/logger.js';
import {
  podKey,
  type Backend,
  type BackendEvent,
  type BackendPodStatus,
  type CachedImage,
  type Capacity,
  type ExecIo,
  type LogOptions,
  type PodRef,
  type PodUsage,
  type PreparedPod,
} from '../backend.js';
import { usageFromMetric, type DescribeContainerGroupMetricResponse } from './group-metric.js';
import type { EciClient, ParamValue } from './eci-client.js';
import { PodQuotaExceeded, QuotaExceeded } from './eci-errors.js';
import { bridgeExec } from './exec-websocket.js';
import { execCommandProblem } from './exec-framing.js';
import { nodeTags, refFromTags } from './group-tags.js';
import { followLogs, readLogs, type LogSource } from './log-follower.js';
import { ImageCacheManager, type ImageCacheSettings } from './image-cache-manager.js';
import { createContainerGroupRequest, TAG, type EciNodeSettings } from './pod-mapping.js';
import { payAsYouGoRequest, shouldFallBack } from './spot-fallback.js';
import { podStatus, TERMINAL_GROUP_STATES, type EciContainerGroup } from './status-mapping.js';
import { StatusPoller, type TrackedGroup } from './status-poller.js';
import { UsageCache } from './usage-cache.js';

/** How often the status poller runs a round (`--eci-poll-interval`). */
export const DEFAULT_POLL_INTERVAL_MS = 2_000;

export interface EciBackendOptions {
  client: EciClient;
  node: EciNodeSettings;
  /** What the node advertises; ECI itself is limited by the account's quotas. */
  capacity?: Partial<Capacity>;
  log: Logger;
  /** Status poll interval (default 2 s). */
  pollIntervalMs?: number;
  /** Full re-describe of every group (default 60 s). */
  resyncMs?: number;
  /** Log poll interval when following (default 1 s). */
  logPollIntervalMs?: number;
  /** Image caches for the pods' cache-images set (`ANNOTATION.cacheImages`) sets; absent: off (pods only auto-match). */
  imageCache?: ImageCacheSettings;
}

export class EciBackend implements Backend {
  readonly name = 'eci';
  /** `nfs` volumes become NFSVolume volumes of the group (NAS, or any NFS server the vSwitch reaches). */
  readonly nfsVolumes = true;
  private readonly listeners = new BackendListeners();
  private readonly poller: StatusPoller;
  private readonly log: Logger;
  /** Uids of pods deleted here, so later status calls for them cost no API call (bounded). */
  private readonly deleted = new Set<string>();
  private readonly imageCaches: ImageCacheManager | undefined;
  private readonly usage: UsageCache;

  constructor(private readonly opts: EciBackendOptions) {
    this.log = opts.log.child({ backend: 'eci', node: opts.node.nodeName });
    this.poller = new StatusPoller({
      client: opts.client,
      log: this.log,
      tags: nodeTags(opts.node),
      intervalMs: opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      resyncMs: opts.resyncMs ?? 60_000,
      onChange: (ref) => this.changed(ref),
      onEvent: (e) => this.listeners.event(e),
    });
    this.usage = new UsageCache({
      fetch: (ref) => this.groupUsage(ref),
      onError: (ref, err) =>
        this.log.debug('DescribeContainerGroupMetric failed', { pod: podKey(ref), err: describeError(err) }),
    });
    if (opts.imageCache)
      this.imageCaches = new ImageCacheManager({
        ...opts.imageCache,
        client: opts.client,
        node: opts.node,
        log: this.log,
      });
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

  private call<T>(action: string, params: Record<string, ParamValue>, signal?: AbortSignal): Promise<T> {
    return this.opts.client.call<T>(action, params, signal);
  }

  async createPod(prepared: PreparedPod, signal: AbortSignal): Promise<void> {
    const { ref } = prepared;
    let request = createContainerGroupRequest(prepared, this.opts.node); // InvalidInput before any call
    if (this.poller.get(ref.uid) && !this.poller.get(ref.uid)!.gone) return; // already ours (adopted or retried)
    // From memory, never waiting: a Ready cache of the pod's image set, or auto-match while it is being prepared.
    const images = prepared.cacheImages;
    const readyCache = images.length ? this.imageCaches?.readyCacheFor(images, prepared.registryAuths) : undefined;
    if (readyCache) request = createContainerGroupRequest(prepared, this.opts.node, readyCache);
    let groupId: string;
    try {
      // ClientToken = pod uid: a retry (after a timeout, throttling, a node restart) returns the same group.
      groupId = await this.createGroup(prepared, request, signal);
    } catch (err) {
      if (err instanceof QuotaExceeded)
        throw new PodQuotaExceeded(
          `ECI quota exhausted; cannot create a container group for pod ${podKey(ref)}: ${err.message}`,
          {
            cause: err,
            hint: 'raise the ECI quota (container groups, vCPUs) or lower the runner concurrency',
          },
        );
      throw err;
    }
    this.log.info('container group created', {
      pod: podKey(ref),
      uid: ref.uid,
      group: groupId,
      ...(request.ImageSnapshotId ? { imageCache: request.ImageSnapshotId } : {}),
    });
    this.poller.track(ref, groupId);
    this.poller.kick();
    this.changed(ref);
  }

  /**
   * CreateContainerGroup; a pod that prefers spot and meets ECI's "no stock" gets the same group pay-as-you-go at once
   * (spot-fallback.ts), and a `SpotFallback` event says so on the pod (and so in the job's record).
   */
  private async createGroup(
    prepared: PreparedPod,
    request: Record<string, ParamValue>,
    signal: AbortSignal,
  ): Promise<string> {
    const create = async (r: Record<string, ParamValue>) =>
      (await this.call<{ ContainerGroupId: string }>('CreateContainerGroup', r, signal)).ContainerGroupId;
    const t0 = performance.now();
    try {
      return await create(request);
    } catch (err) {
      if (!shouldFallBack(err, request, prepared.pod.metadata?.annotations ?? {})) throw err;
      const groupId = await create(payAsYouGoRequest(request));
      const ms = Math.round(performance.now() - t0);
      const message = `no spot capacity (${describeError(err)}); created pay-as-you-go after ${ms} ms`;
      this.log.warn('spot refused; container group created pay-as-you-go', {
        pod: podKey(prepared.ref),
        group: groupId,
        fallbackMs: ms,
        err: describeError(err),
      });
      this.listeners.event({ ref: prepared.ref, type: 'Warning', reason: SPOT_REASON.fallback, message });
      return groupId;
    }
  }

  /**
   * Usage from DescribeContainerGroupMetric, one call per running group (the API takes one group id), through the
   * usage cache (usage-cache.ts): ECI samples about once a minute, so a group is asked at most once per 30 s, at most
   * 4 calls in flight, and a scrape answers within ~8 s from what the cache has.
   */
  podUsage(refs: PodRef[]): Promise<PodUsage[]> {
    return this.usage.usage(refs);
  }

  private async groupUsage(ref: PodRef): Promise<PodUsage | undefined> {
    const t = await this.tracked(ref);
    if (!t) return undefined;
    const res = await this.call<DescribeContainerGroupMetricResponse>('DescribeContainerGroupMetric', {
      ContainerGroupId: t.groupId,
    });
    return usageFromMetric(ref, res);
  }

  /** The tracked group of a pod, looking it up by its uid tag when this process has not seen it yet. */
  private async tracked(ref: PodRef): Promise<TrackedGroup | undefined> {
    const known = this.poller.get(ref.uid);
    if (known) return known.gone ? undefined : known;
    if (this.deleted.has(ref.uid)) return undefined;
    const res = await this.call<{ ContainerGroups?: EciContainerGroup[] }>('DescribeContainerGroups', {
      Tag: [...nodeTags(this.opts.node), { Key: TAG.uid, Value: ref.uid }],
      Limit: 20,
      WithEvent: true,
    });
    const group = res.ContainerGroups?.[0];
    return group ? this.poller.track(ref, group.ContainerGroupId, group) : undefined;
  }

  private async mustHave(ref: PodRef, container: string): Promise<TrackedGroup> {
    const t = await this.tracked(ref);
    if (!t) throw new NotFound(`pod ${podKey(ref)} has no ECI container group`);
    if (!t.group) {
      const g = (await this.poller.describe([t.groupId])).get(t.groupId);
      if (!g) throw new NotFound(`the container group of pod ${podKey(ref)} is gone`);
      this.poller.apply(t, g);
    }
    const names = [...(t.group!.InitContainers ?? []), ...(t.group!.Containers ?? [])].map((c) => c.Name);
    if (!names.includes(container)) throw new NotFound(`container "${container}" not found in pod ${podKey(ref)}`);
    return t;
  }

  /**
   * ECI applies the group's TerminationGracePeriodSeconds (from the pod spec); `gracePeriodSeconds` is not sent. A
   * group no round saw start is described first, so its start-up events reach the pod (StatusPoller.settle).
   */
  async deletePod(ref: PodRef, gracePeriodSeconds: number): Promise<void> {
    const t = await this.tracked(ref);
    if (t) {
      await this.poller.settle(t).catch((err: unknown) =>
        this.log.debug('could not describe the container group before deleting it; its last events may be missing', {
          pod: podKey(ref),
          group: t.groupId,
          err: describeError(err),
        }),
      );
      try {
        await this.call('DeleteContainerGroup', { ContainerGroupId: t.groupId });
        this.log.info('container group deleted', { pod: podKey(ref), group: t.groupId, gracePeriodSeconds });
      } catch (err) {
        if (!isErrorCode(err, 'NotFound')) throw err;
      }
      t.gone = true;
      this.poller.untrack(ref.uid);
    }
    this.deleted.add(ref.uid);
    if (this.deleted.size > 10_000) this.deleted.delete(this.deleted.values().next().value!);
    this.changed(ref);
  }

  async getPodStatus(ref: PodRef): Promise<BackendPodStatus | undefined> {
    const t = await this.tracked(ref);
    if (!t) return undefined;
    if (!t.group) {
      const g = (await this.poller.describe([t.groupId])).get(t.groupId);
      if (!g) return undefined;
      this.poller.apply(t, g);
    }
    return podStatus(t.group!);
  }

  /** Every group tagged with this cluster and node (adopted: the poller follows them from now on). */
  async listPods(): Promise<PodRef[]> {
    const refs: PodRef[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const res = await this.call<{ ContainerGroups?: EciContainerGroup[]; NextToken?: string }>(
        'DescribeContainerGroups',
        { Tag: nodeTags(this.opts.node), Limit: 20, NextToken: token, WithEvent: true },
      );
      for (const g of res.ContainerGroups ?? []) {
        const ref = refFromTags(g.Tags);
        if (!ref) continue;
        this.poller.track(ref, g.ContainerGroupId, g);
        refs.push(ref);
      }
      token = res.NextToken || undefined;
      if (!token) break;
    }
    this.log.info('adopted container groups', { count: refs.length });
    return refs;
  }

  async containerLogs(ref: PodRef, container: string, options: LogOptions, signal: AbortSignal): Promise<Readable> {
    const t = await this.mustHave(ref, container);
    const source: LogSource = {
      fetch: async (params, s) =>
        (
          await this.call<{ Content?: string }>(
            'DescribeContainerLog',
            { ContainerGroupId: t.groupId, ContainerName: container, ...params },
            s,
          )
        ).Content ?? '',
      finished: () => {
        if (t.gone) return true;
        if (!t.group) return false;
        if (TERMINAL_GROUP_STATES.has(t.group.Status)) return true;
        const c = [...(t.group.InitContainers ?? []), ...(t.group.Containers ?? [])].find((x) => x.Name === container);
        return c?.CurrentState?.State === 'Terminated';
      },
    };
    if (!options.follow) return readLogs(source, options, signal);
    return followLogs(source, options, signal, {
      intervalMs: this.opts.logPollIntervalMs ?? 1_000,
      log: this.log.child({ pod: podKey(ref), group: t.groupId, container }),
    });
  }

  async exec(ref: PodRef, container: string, command: string[], io: ExecIo, signal: AbortSignal): Promise<number> {
    const problem = execCommandProblem(command);
    if (problem)
      throw new InvalidInput(`cannot exec in ${podKey(ref)}/${container}: ${problem}`, {
        hint: 'put long scripts in a file in the container and exec that file',
      });
    const t = await this.mustHave(ref, container);
    const res = await this.call<{ WebSocketUri: string }>(
      'ExecContainerCommand',
      {
        ContainerGroupId: t.groupId,
        ContainerName: container,
        Command: JSON.stringify(command),
        TTY: io.tty,
        Stdin: io.stdin !== undefined,
      },
      signal,
    );
    try {
      return await bridgeExec(res.WebSocketUri, io, signal);
    } catch (err) {
      this.log.warn('exec failed', { pod: podKey(ref), group: t.groupId, container, err: describeError(err) });
      throw err;
    }
  }

  /** ECI has no attach API: a pod's main process cannot be attached to. */
  async attach(ref: PodRef, container: string): Promise<number> {
    throw new InvalidInput(`attach is not available on ECI (pod ${podKey(ref)}, container ${container})`, {
      hint: 'use exec, or read the output with logs -f',
    });
  }

  async capacity(): Promise<Capacity> {
    const c = this.opts.capacity ?? {};
    return {
      cpu: c.cpu ?? '1000',
      memory: c.memory ?? '4Ti',
      pods: c.pods ?? '1000',
      ...(c.ephemeralStorage ? { ephemeralStorage: c.ephemeralStorage } : {}),
    };
  }

  /** The images of the node's Ready ECI image caches (the Node's `status.images`). */
  cachedImages(): CachedImage[] {
    return (this.imageCaches?.readyImages() ?? []).flatMap((c) => c.images.map((image) => ({ names: [image] })));
  }

  /** Runs the status poller (and the image cache upkeep) until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.poller.run(signal), this.imageCaches?.run(signal)]);
  }
}
