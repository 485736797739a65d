/**
 * One batch poll loop for every container group this node knows, instead of a poll per pod: each round describes
 * the groups that are still starting (their events matter) in pages of ≤ 20 ids, asks DescribeContainerGroupStatus
 * with SinceSecond which running groups changed since the last round (one call for the whole node, by tags) and
 * describes only those, and every `resyncMs` describes everything once more. Finished groups are not polled between
 * resyncs (they cannot change; a resync notices when ECI drops them after its 1 h retention).
 *
 * Listeners hear about groups whose state changed; group Events are copied to `onEvent` once each (events that
 * existed when a group was adopted after a restart are not replayed). A group deleted before any round saw it start
 * is described once more first (`settle`), so its start-up events are not lost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '@eci-virtual/contract';
import type { Logger } from '../../../observability/logger.js';
import type { BackendEvent, PodRef } from '../backend.js';
import type { EciClient } from './eci-client.js';
import type { Tag } from './group-tags.js';
import {
  containerNamed,
  podStatus,
  TERMINAL_GROUP_STATES,
  type EciContainerGroup,
  type EciEvent,
} from './status-mapping.js';

/** DescribeContainerGroups accepts ≤ 20 ids and returns ≤ 20 groups per call. */
export const IDS_PER_CALL = 20;

export interface TrackedGroup {
  ref: PodRef;
  groupId: string;
  group?: EciContainerGroup;
  /** ECI no longer has the group. */
  gone: boolean;
  seenEvents: Set<string>;
  statusKey?: string;
}

export interface StatusPollerOptions {
  client: EciClient;
  log: Logger;
  /** Tags of this node's groups (cluster + node), for DescribeContainerGroupStatus. */
  tags: Tag[];
  intervalMs: number;
  resyncMs: number;
  onChange: (ref: PodRef) => void;
  onEvent: (event: BackendEvent) => void;
}

const eventKey = (e: EciEvent) => `${e.Reason ?? ''}|${e.Message ?? ''}|${e.FirstTimestamp ?? ''}`;

export class StatusPoller {
  private readonly byUid = new Map<string, TrackedGroup>();
  private lastStatusPoll: number | undefined;
  private lastFull = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: StatusPollerOptions) {}

  get(uid: string): TrackedGroup | undefined {
    return this.byUid.get(uid);
  }

  tracked(): TrackedGroup[] {
    return [...this.byUid.values()];
  }

  /**
   * Starts following a group. With `group` (adoption), its current events count as already seen.
   */
  track(ref: PodRef, groupId: string, group?: EciContainerGroup): TrackedGroup {
    const existing = this.byUid.get(ref.uid);
    if (existing && existing.groupId === groupId) return existing;
    const t: TrackedGroup = { ref, groupId, gone: false, seenEvents: new Set() };
    if (group) {
      for (const e of group.Events ?? []) t.seenEvents.add(eventKey(e));
      t.group = group;
      t.statusKey = JSON.stringify(podStatus(group));
    }
    this.byUid.set(ref.uid, t);
    return t;
  }

  untrack(uid: string): void {
    this.byUid.delete(uid);
  }

  /** Polls soon (after a create), without waiting for the interval. */
  kick(): void {
    this.wake?.();
  }

  /** Applies a fresh description of a tracked group: change notification and new events. */
  apply(t: TrackedGroup, group: EciContainerGroup): void {
    t.group = group;
    t.gone = false;
    const containers = [...(group.InitContainers ?? []), ...(group.Containers ?? [])].map((c) => c.Name);
    for (const e of group.Events ?? []) {
      const key = eventKey(e);
      if (t.seenEvents.has(key)) continue;
      t.seenEvents.add(key);
      const container = containerNamed(e.Message, containers);
      this.opts.onEvent({
        ref: t.ref,
        type: e.Type === 'Warning' ? 'Warning' : 'Normal',
        reason: e.Reason ?? 'Unknown',
        message: e.Message ?? '',
        ...(container ? { container } : {}),
      });
    }
    const key = JSON.stringify(podStatus(group));
    if (key !== t.statusKey) {
      t.statusKey = key;
      this.opts.onChange(t.ref);
    }
  }

  /**
   * Describes a group once more before it is deleted when the node never saw it start: a short job can run and
   * finish between two rounds, and its start-up events (scheduling, pulls, an image-cache hit) would otherwise never
   * reach its pod. One call, and only for such groups; a group seen Running or finished has had them copied.
   */
  async settle(t: TrackedGroup, signal?: AbortSignal): Promise<void> {
    const status = t.group?.Status;
    if (t.gone || status === 'Running' || (status !== undefined && TERMINAL_GROUP_STATES.has(status))) return;
    const g = (await this.describe([t.groupId], signal)).get(t.groupId);
    if (g && this.byUid.get(t.ref.uid) === t) this.apply(t, g);
  }

  /** Describes `groupIds` in pages of ≤ 20; returns what ECI still has. */
  async describe(groupIds: string[], signal?: AbortSignal): Promise<Map<string, EciContainerGroup>> {
    const found = new Map<string, EciContainerGroup>();
    for (let i = 0; i < groupIds.length; i += IDS_PER_CALL) {
      const ids = groupIds.slice(i, i + IDS_PER_CALL);
      const res = await this.opts.client.call<{ ContainerGroups?: EciContainerGroup[] }>(
        'DescribeContainerGroups',
        // WithEvent: the groups' events (pulls, OOMKilling, spot notices) are copied to the pods' Events.
        { ContainerGroupIds: JSON.stringify(ids), Limit: IDS_PER_CALL, WithEvent: true },
        signal,
      );
      for (const g of res.ContainerGroups ?? []) found.set(g.ContainerGroupId, g);
    }
    return found;
  }

  /** Ids of this node's groups whose state changed within the last `sinceSeconds`. */
  private async changedSince(sinceSeconds: number, signal?: AbortSignal): Promise<Set<string>> {
    const changed = new Set<string>();
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await this.opts.client.call<{ Data?: { ContainerGroupId: string }[]; NextToken?: string }>(
        'DescribeContainerGroupStatus',
        { SinceSecond: sinceSeconds, Tag: this.opts.tags, Limit: 200, NextToken: token },
        signal,
      );
      for (const d of res.Data ?? []) changed.add(d.ContainerGroupId);
      token = res.NextToken || undefined;
      if (!token) break;
    }
    return changed;
  }

  /**
   * One round. `full`: describe every tracked group. `onlyNew`: describe only groups never described yet (a round
   * woken by a create: in a burst of creates, re-describing every starting group on each one would spend the
   * DescribeContainerGroups quota, 2000/min, many times over).
   */
  async pollOnce(signal?: AbortSignal, full = false, onlyNew = false): Promise<void> {
    const all = this.tracked().filter((t) => !t.gone);
    let targets: TrackedGroup[];
    if (full) targets = all;
    else if (onlyNew) targets = all.filter((t) => !t.group);
    else {
      const active = all.filter((t) => !t.group || !TERMINAL_GROUP_STATES.has(t.group.Status));
      const running = active.filter((t) => t.group?.Status === 'Running');
      targets = active.filter((t) => t.group?.Status !== 'Running');
      if (running.length) {
        const started = Date.now();
        // Round up and add a second so that changes between two rounds are never missed.
        const since =
          this.lastStatusPoll === undefined ? undefined : Math.ceil((started - this.lastStatusPoll) / 1000) + 1;
        const changed = since === undefined ? undefined : await this.changedSince(since, signal);
        this.lastStatusPoll = started;
        targets.push(...running.filter((t) => !changed || changed.has(t.groupId)));
      }
    }
    if (!targets.length) return;
    const found = await this.describe(
      targets.map((t) => t.groupId),
      signal,
    );
    for (const t of targets) {
      if (this.byUid.get(t.ref.uid) !== t) continue; // deleted meanwhile
      const g = found.get(t.groupId);
      if (g) this.apply(t, g);
      else if (!t.gone) {
        t.gone = true;
        this.opts.log.info('container group is gone', { pod: `${t.ref.namespace}/${t.ref.name}`, group: t.groupId });
        this.opts.onChange(t.ref);
      }
    }
  }

  /** Polls until `signal` aborts; errors are logged and retried with backoff (bounded at 30 s). */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let lastRegular = 0;
    while (!signal.aborted) {
      const full = Date.now() - this.lastFull >= this.opts.resyncMs;
      // A kick between two regular rounds (every intervalMs) describes only the new groups.
      const regular = full || Date.now() - lastRegular >= this.opts.intervalMs;
      try {
        if (regular) lastRegular = Date.now();
        await this.pollOnce(signal, full, !regular);
        if (full) this.lastFull = Date.now();
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        this.opts.log.warn('ECI status poll failed', { err: describeError(err), failures });
      }
      const delay = failures ? Math.min(30_000, this.opts.intervalMs * 2 ** failures) : this.opts.intervalMs;
      const early = new AbortController();
      this.wake = () => early.abort();
      await sleep(delay, undefined, { signal: AbortSignal.any([signal, early.signal]) }).catch(() => undefined);
      this.wake = undefined;
    }
  }
}
