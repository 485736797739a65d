/**
 * ECI image caches as warm image sets for the image-cache autopilot (its `WarmImageService`, matched structurally:
 * the virtual node knows nothing of CI). A set is an image cache tagged with the node's cluster and the autopilot's
 * labels (as ECI tags), so every controller replica and restart finds the same sets again:
 *
 * - list: DescribeImageCaches filtered by those tags, every page; Ready → ready, Failed/UpdateFailed → failed,
 *   anything else (Preparing, Creating, Updating) → pending;
 * - create: CreateImageCache with the node's vSwitch and security group, RetentionDays and a ClientToken, so the
 *   client's retries never create two;
 * - delete: DeleteImageCache (a cache already gone is fine).
 *
 * Pods start from these caches through automatic matching (`AutoMatchImageCache`: ECI picks a Ready cache holding
 * the pod's images), which the pods the controller creates ask for when the autopilot is on.
 */
import { createHash } from 'node:crypto';
import { isErrorCode } from '@eci-virtual/contract';
import type { EciClient } from './eci-client.js';
import type { EciImageCache } from './image-cache-manager.js';
import { TAG, type EciNodeSettings } from './pod-mapping.js';

export interface EciWarmSetsOptions {
  client: Pick<EciClient, 'call'>;
  node: EciNodeSettings;
  /** The most image caches the account may hold in the region (its CreateImageCache quota). */
  quota: number;
  /** RetentionDays of the caches created: a cache the autopilot forgets still expires (default 7). */
  retentionDays?: number;
  /** ImageCacheSize in GiB (default: ECI's, 20). */
  sizeGiB?: number;
  /** The tag all sets carry (default `eci-virtual/autopilot` = `true`). */
  managedTag?: { Key: string; Value: string };
}

export interface EciWarmSet {
  id: string;
  name: string;
  images: string[];
  state: 'pending' | 'ready' | 'failed';
  createdAt: number;
  labels: Record<string, string>;
  sizeGiB?: number;
}

type Cache = EciImageCache & { ImageCacheSize?: number; Tags?: { Key: string; Value: string }[] };

const PAGE = 20;
const MAX_PAGES = 25;

export class EciWarmSets {
  readonly quota: number;

  constructor(private readonly opts: EciWarmSetsOptions) {
    this.quota = opts.quota;
  }

  private get managed(): { Key: string; Value: string } {
    return this.opts.managedTag ?? { Key: 'eci-virtual/autopilot', Value: 'true' };
  }

  async list(signal?: AbortSignal): Promise<EciWarmSet[]> {
    const out: EciWarmSet[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.opts.client.call<{ ImageCaches?: Cache[]; NextToken?: string }>(
        'DescribeImageCaches',
        { Tag: [this.clusterTag(), this.managed], Limit: PAGE, NextToken: token },
        signal,
      );
      out.push(...(res.ImageCaches ?? []).map(toSet));
      token = res.NextToken || undefined;
      if (!token) break;
    }
    return out;
  }

  async create(
    request: { name: string; images: string[]; labels: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<string> {
    const tags = Object.entries(request.labels)
      .filter(([k]) => k !== this.managed.Key)
      .map(([Key, Value]) => ({ Key, Value }));
    const token = createHash('sha256')
      .update(`${request.name}\n${request.images.join('\n')}\n${JSON.stringify(request.labels)}`)
      .digest('hex')
      .slice(0, 32);
    const res = await this.opts.client.call<{ ImageCacheId: string }>(
      'CreateImageCache',
      {
        ImageCacheName: request.name,
        Image: request.images,
        VSwitchId: this.opts.node.vSwitchId,
        SecurityGroupId: this.opts.node.securityGroupId,
        RetentionDays: this.opts.retentionDays ?? 7,
        ...(this.opts.sizeGiB ? { ImageCacheSize: this.opts.sizeGiB } : {}),
        Tag: [this.clusterTag(), this.managed, ...tags],
        ClientToken: token,
      },
      signal,
    );
    return res.ImageCacheId;
  }

  async delete(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.opts.client.call('DeleteImageCache', { ImageCacheId: id }, signal);
    } catch (err) {
      if (!isErrorCode(err, 'NotFound')) throw err;
    }
  }

  private clusterTag(): { Key: string; Value: string } {
    return { Key: TAG.cluster, Value: this.opts.node.clusterName };
  }
}

function toSet(c: Cache): EciWarmSet {
  const created = c.CreationTime ? Date.parse(c.CreationTime) : NaN;
  return {
    id: c.ImageCacheId,
    name: c.ImageCacheName ?? '',
    images: c.Images ?? [],
    state: c.Status === 'Ready' ? 'ready' : c.Status === 'Failed' || c.Status === 'UpdateFailed' ? 'failed' : 'pending',
    createdAt: Number.isFinite(created) ? created : 0,
    labels: Object.fromEntries((c.Tags ?? []).map((t) => [t.Key, t.Value])),
    ...(c.ImageCacheSize !== undefined ? { sizeGiB: c.ImageCacheSize } : {}),
  };
}
