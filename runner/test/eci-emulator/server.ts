/**
 * A local Alibaba Cloud ECI (OpenAPI 2018-08-08) for tests, written from the published API reference: V3-signed
 * RPC calls at `/`, the container-group, log, exec and image-cache actions the virtual node uses, the published rate
 * limits, quota errors and injected faults. Containers run through a pluggable GroupRuntime (fake-runtime.ts for unit
 * tests; backend-runtime.ts to run them as real pods through a virtual-node Backend).
 *
 *   const emu = new EciEmulator({ runtime: new FakeRuntime(), accessKeys: { AK: 'SK' }, delays: FAST });
 *   await emu.start();          // emu.endpoint → http://127.0.0.1:<port>
 *   ...
 *   await emu.stop();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realClock, type EmulatorClock } from './clock.js';
import { ApiError, errorBody, groupNotFound, invalid, missing, noStock, quotaExceeded } from './api-error.js';
import { RequestVerifier } from './auth.js';
import { parseCreate, type CreateLimits } from './create-request.js';
import { ExecSessions } from './exec-sessions.js';
import { commandProblem } from './exec-wire.js';
import { describeGroup, GroupStore, REALISTIC_DELAYS, statusView, type Delays, type EmulatedGroup } from './groups.js';
import { describeCache, ImageCacheStore } from './image-caches.js';
import { Limits, type Fault, type RateLimitConfig } from './limits.js';
import { formatLogs } from './logs.js';
import { Params, unflatten } from './params.js';
import { describeContainerGroupPrice, LIST_PRICES, type PriceTable } from './prices.js';
import type { GroupRuntime, RuntimeContainerUsage } from './runtime.js';

export interface EciEmulatorOptions {
  runtime: GroupRuntime;
  /** AccessKeyId → AccessKeySecret. */
  accessKeys: Record<string, string>;
  securityTokens?: string[];
  region?: string;
  zone?: string;
  delays?: Partial<Delays>;
  /** Container groups the account may hold at once (default 1000). */
  quota?: number;
  rateLimits?: RateLimitConfig;
  /** How long finished groups stay visible (default 1 h). */
  retentionMs?: number;
  /** How often running groups are refreshed from the runtime (default 100 ms). */
  refreshMs?: number;
  limits?: Partial<CreateLimits>;
  /** Lifetime of ExecContainerCommand's WebSocketUri (default 30 s). */
  execUriTtlMs?: number;
  /** The emulator's time (default the wall clock; clock.ts `SimulatedClock` for replays in simulated time). */
  clock?: EmulatorClock;
  /** Unit prices DescribeContainerGroupPrice answers with (default prices.ts `LIST_PRICES`). */
  prices?: PriceTable;
}

export interface CallRecord {
  /** When the call was answered (ms since epoch). */
  at: number;
  action: string;
  status: number;
  code?: string;
  params: Record<string, string>;
}

/** The page sizes the API allows. */
export const PAGE = { describeGroups: 20, describeStatus: 200, ids: 20, imageCaches: 100 } as const;

type Handler = (p: Params) => Promise<Record<string, unknown>> | Record<string, unknown>;

export class EciEmulator {
  readonly groups: GroupStore;
  readonly imageCaches: ImageCacheStore;
  readonly calls: CallRecord[] = [];
  readonly region: string;
  private readonly zone: string;
  private readonly delays: Delays;
  private readonly clock: EmulatorClock;
  private readonly verifier: RequestVerifier;
  private readonly limits: Limits;
  private readonly exec: ExecSessions;
  private readonly tokens = new Map<string, string>();
  private readonly handlers: Record<string, Handler>;
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private url: string | undefined;

  constructor(private readonly opts: EciEmulatorOptions) {
    this.region = opts.region ?? 'cn-hangzhou';
    this.zone = opts.zone ?? `${this.region}-k`;
    this.delays = { ...REALISTIC_DELAYS, ...opts.delays };
    this.clock = opts.clock ?? realClock;
    this.groups = new GroupStore(opts.runtime, this.delays, opts.retentionMs ?? 3_600_000, this.clock);
    this.imageCaches = new ImageCacheStore(() => this.delays.imageCacheMs, this.clock);
    this.verifier = new RequestVerifier({
      accessKeys: opts.accessKeys,
      ...(opts.securityTokens ? { securityTokens: opts.securityTokens } : {}),
    });
    this.limits = new Limits(opts.rateLimits, () => this.clock.now());
    this.exec = new ExecSessions(opts.runtime, opts.execUriTtlMs);
    this.handlers = {
      CreateContainerGroup: (p) => this.create(p),
      DescribeContainerGroups: (p) => this.describeGroups(p),
      DescribeContainerGroupStatus: (p) => this.describeStatus(p),
      DeleteContainerGroup: (p) => this.deleteGroup(p),
      DescribeContainerLog: (p) => this.containerLog(p),
      DescribeContainerGroupMetric: (p) => this.groupMetric(p),
      ExecContainerCommand: (p) => this.execCommand(p),
      CreateImageCache: (p) => this.createImageCache(p),
      DescribeImageCaches: (p) => this.describeImageCaches(p),
      DeleteImageCache: (p) => this.deleteImageCache(p),
      DescribeContainerGroupPrice: (p) => describeContainerGroupPrice(p, opts.prices ?? LIST_PRICES, this.zone),
    };
  }

  get endpoint(): string {
    if (!this.url) throw new Error('the ECI emulator is not started');
    return this.url;
  }

  async start(): Promise<void> {
    // The official SDK sends every parameter in the query string (sdk-contract.test.ts), so a group with config
    // files or many variables has a long URL; Node's default 16 KiB header limit answered those with 431. No URL
    // limit of the service is published; the emulator takes up to 1 MiB.
    const server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => void this.handle(req, res));
    server.on('upgrade', (req, socket, head) => this.exec.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.timer = setInterval(() => {
      for (const g of this.groups.all()) void this.groups.refresh(g);
    }, this.opts.refreshMs ?? 100);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.exec.close();
    await this.groups.close();
    await this.opts.runtime.close?.();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** The actions the emulator serves (every other action is `InvalidAction.NotFound`). */
  get actions(): string[] {
    return Object.keys(this.handlers);
  }

  /**
   * The next `times` calls of `action` fail with `code` (and `status`, default 400) — or, with `forMs`, every call
   * of it until `forMs` from now.
   */
  injectFault(fault: Fault): void {
    this.limits.inject(fault);
  }

  /** Ends every injected fault now (counts not spent, windows still open). */
  clearFaults(): void {
    this.limits.clearFaults();
  }

  /** The next container group created fails scheduling (Status ScheduleFailed, a Warning event with `reason`). */
  injectScheduleFailure(reason = 'NoStock', message = 'the zone has no stock of the requested instance type'): void {
    this.groups.scheduleFailures.push({ reason, message });
  }

  /**
   * The next `times` CreateContainerGroup calls that ask for spot (SpotStrategy SpotAsPriceGo or SpotWithPriceLimit)
   * are refused with `OperationDenied.NoStock` (api-error.ts `noStock`); pay-as-you-go requests are not affected.
   * `Infinity`: the zone has no spot stock until `restoreSpot()`.
   */
  refuseSpot(times = Infinity): void {
    this.spotRefusals = times;
  }

  restoreSpot(): void {
    this.spotRefusals = 0;
  }

  private spotRefusals = 0;

  /**
   * ECI's reclaim of a spot group (GroupStore.expire): its `SpotToBeReleased` warning event now, the group Expired
   * `spotNoticeMs` later. Resolves when it is Expired.
   */
  reclaimSpot(groupId: string): Promise<void> {
    const g = this.groups.get(groupId);
    if (!g) throw groupNotFound(groupId);
    if (g.meta.spotStrategy === 'NoSpot') throw new Error(`group ${groupId} is not a spot group`);
    return this.groups.expire(groupId);
  }

  /** How many calls of `action` were answered (optionally: with this HTTP status). */
  count(action: string, status?: number): number {
    return this.calls.filter((c) => c.action === action && (status === undefined || c.status === status)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    let action = req.headers['x-acs-action']?.toString() ?? '';
    // Every ECI 2018-08-08 parameter is `in: query` in the published API metadata (api.aliyun.com, product Eci,
    // version 2018-08-08; the generated SDK `@alicloud/eci20180808` puts each one in `query` accordingly), so
    // parameters are read from the query string only; a request carrying a body is refused rather than guessed at.
    const form = url.searchParams;
    const flat = Object.fromEntries(form);
    let status = 200;
    let answer: Record<string, unknown>;
    try {
      if (req.method !== 'POST' || url.pathname !== '/')
        throw new ApiError(
          404,
          'InvalidAction.NotFound',
          `Specified api is not found, please check your url and method.`,
        );
      action = this.verifier.verify(req.method, url.pathname, [...url.searchParams], req.headers, body).action;
      if (body.length > 0)
        throw new ApiError(
          400,
          'InvalidParameter',
          `${action} takes its parameters in the query string (the API metadata places every one "in": "query"); the request body is not read.`,
        );
      const handler = this.handlers[action];
      if (!handler) throw new ApiError(404, 'InvalidAction.NotFound', `Specified api "${action}" is not found.`);
      this.limits.check(action);
      answer = { RequestId: requestId, ...(await handler(new Params(unflatten(form)))) };
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, 'InternalError', (err as Error).message);
      status = e.status;
      answer = errorBody(e, requestId, req.headers.host ?? '127.0.0.1');
    }
    this.calls.push({
      at: this.clock.now(),
      action,
      status,
      ...(status !== 200 ? { code: String(answer.Code) } : {}),
      params: flat,
    });
    const text = JSON.stringify(answer);
    res.writeHead(status, {
      'content-type': 'application/json;charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  /**
   * DescribeContainerGroupMetric (API reference "DescribeContainerGroupMetric"): `Records[]` of samples, each with a
   * `Timestamp`, group-level `CPU`/`Memory` and per-container `Containers[]`, named as the SDK's model classes name
   * them (`@alicloud/eci20180808` DescribeContainerGroupMetricResponseBodyRecords…; sdk-contract.test.ts holds the
   * answer to them). ECI keeps a series (one sample a minute); the emulator answers the one sample it takes now, or no
   * records when the runtime cannot measure.
   */
  private async groupMetric(p: Params): Promise<Record<string, unknown>> {
    const g = this.group(p);
    const usage = await this.opts.runtime.usage?.(g.id).catch(() => undefined);
    if (!usage?.length) return { ContainerGroupId: g.id, Records: [] };
    const sum = (f: (c: RuntimeContainerUsage) => number) => usage.reduce((a, c) => a + f(c), 0);
    const memory = (workingSet: number, usageBytes: number) => ({ WorkingSet: workingSet, UsageBytes: usageBytes });
    return {
      ContainerGroupId: g.id,
      Records: [
        {
          Timestamp: new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          CPU: { UsageCoreNanoSeconds: sum((c) => c.cpuUsageCoreNanoSeconds) },
          Memory: memory(
            sum((c) => c.memoryWorkingSetBytes),
            sum((c) => c.memoryUsageBytes ?? c.memoryWorkingSetBytes),
          ),
          Containers: usage.map((c) => ({
            Name: c.name,
            CPU: { UsageCoreNanoSeconds: c.cpuUsageCoreNanoSeconds },
            Memory: memory(c.memoryWorkingSetBytes, c.memoryUsageBytes ?? c.memoryWorkingSetBytes),
          })),
        },
      ],
    };
  }

  private group(p: Params): EmulatedGroup {
    const id = p.required('ContainerGroupId');
    const g = this.groups.get(id);
    if (!g) throw groupNotFound(id);
    return g;
  }

  private create(p: Params): Record<string, unknown> {
    const { meta, spec } = parseCreate(
      p,
      { maxContainers: 20, maxEnvPerContainer: 92, ...this.opts.limits },
      { regionId: this.region, zoneId: this.zone },
    );
    if (meta.clientToken) {
      const existing = this.tokens.get(meta.clientToken);
      if (existing && this.groups.get(existing)) return { ContainerGroupId: existing };
    }
    if (meta.spotStrategy !== 'NoSpot' && this.spotRefusals > 0) {
      this.spotRefusals--;
      throw noStock(`spot ${meta.instanceType ?? 'instance'}`);
    }
    const quota = this.opts.quota ?? 1000;
    if (this.groups.size >= quota) throw quotaExceeded(quota);
    let cacheId: string | undefined;
    if (meta.imageSnapshotId) {
      const cache = this.imageCaches.get(meta.imageSnapshotId);
      if (!cache) throw invalid('ImageSnapshotId', `image cache "${meta.imageSnapshotId}" does not exist`);
      if (cache.status === 'Ready') cacheId = cache.id;
    } else if (meta.autoMatchImageCache)
      cacheId = this.imageCaches.match([...spec.initContainers, ...spec.containers].map((c) => c.image))?.id;
    const g = this.groups.add(meta, spec, cacheId);
    if (meta.clientToken) this.tokens.set(meta.clientToken, g.id);
    return { ContainerGroupId: g.id };
  }

  /** Groups matching the common filters (ids, tags, name, status), oldest first. */
  private select(p: Params): EmulatedGroup[] {
    const ids = p.jsonList('ContainerGroupIds', PAGE.ids);
    const tags = p.tags();
    const name = p.str('ContainerGroupName');
    const status = p.str('Status');
    return this.groups
      .all()
      .filter((g) => !ids || ids.includes(g.id))
      .filter((g) => tags.every((t) => g.meta.tags.some((x) => x.Key === t.Key && x.Value === t.Value)))
      .filter((g) => !name || g.meta.name === name)
      .filter((g) => !status || g.status === status)
      .sort((a, b) => a.creationTime.getTime() - b.creationTime.getTime() || (a.id < b.id ? -1 : 1));
  }

  private page<T>(p: Params, all: T[], max: number): { items: T[]; NextToken: string; TotalCount: number } {
    const limit = p.int('Limit', 1, max) ?? max;
    const token = p.str('NextToken');
    const offset = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalid('NextToken', 'not a token this API returned');
    const items = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : '';
    return { items, NextToken: next, TotalCount: all.length };
  }

  /**
   * DescribeContainerGroups. `WithEvent` (boolean; the SDK's DescribeContainerGroupsRequest.withEvent) asks for the
   * groups' events: without it `Events` comes back empty — the strict reading of a parameter that exists only to
   * ask for them, so a client that needs events and forgets to ask fails here rather than on the service.
   */
  private async describeGroups(p: Params): Promise<Record<string, unknown>> {
    const withEvent = p.bool('WithEvent') ?? false;
    const { items, NextToken, TotalCount } = this.page(p, this.select(p), PAGE.describeGroups);
    await Promise.all(items.map((g) => this.groups.refresh(g)));
    const view = (g: EmulatedGroup) => ({ ...describeGroup(g), ...(withEvent ? {} : { Events: [] }) });
    return { NextToken, TotalCount, ContainerGroups: items.map(view) };
  }

  private async describeStatus(p: Params): Promise<Record<string, unknown>> {
    const since = p.int('SinceSecond', 1);
    const candidates = this.select(p);
    await Promise.all(candidates.map((g) => this.groups.refresh(g)));
    const changed =
      since === undefined ? candidates : candidates.filter((g) => this.clock.now() - g.changedAt <= since * 1000);
    const { items, NextToken, TotalCount } = this.page(p, changed, PAGE.describeStatus);
    return { NextToken, TotalCount, Data: items.map(statusView) };
  }

  private async deleteGroup(p: Params): Promise<Record<string, unknown>> {
    const id = p.required('ContainerGroupId');
    if (!(await this.groups.delete(id))) throw groupNotFound(id);
    for (const [t, g] of this.tokens) if (g === id) this.tokens.delete(t);
    return {};
  }

  private async containerLog(p: Params): Promise<Record<string, unknown>> {
    const g = this.group(p);
    const name = p.required('ContainerName');
    if (![...g.spec.initContainers, ...g.spec.containers].some((c) => c.name === name))
      throw invalid('ContainerName', `container "${name}" is not part of ${g.id}`);
    const startTime = p.str('StartTime');
    const start = startTime === undefined ? undefined : Date.parse(startTime);
    if (start !== undefined && !Number.isFinite(start)) throw invalid('StartTime', 'expected an RFC 3339 time');
    const lines = g.started ? await this.opts.runtime.logs(g.id, name).catch(() => []) : [];
    const content = formatLogs(lines, {
      ...(start !== undefined ? { startTime: start } : {}),
      ...(p.int('SinceSeconds', 1) !== undefined ? { sinceSeconds: p.int('SinceSeconds', 1)! } : {}),
      ...(p.int('Tail', 0) !== undefined ? { tail: p.int('Tail', 0)! } : {}),
      ...(p.int('LimitBytes', 1) !== undefined ? { limitBytes: p.int('LimitBytes', 1)! } : {}),
      timestamps: p.bool('Timestamps') ?? false,
    });
    return { ContainerName: name, Content: content };
  }

  private async execCommand(p: Params): Promise<Record<string, unknown>> {
    const g = this.group(p);
    const container = p.required('ContainerName');
    const raw = p.required('Command');
    let command: unknown;
    try {
      command = JSON.parse(raw);
    } catch {
      throw invalid('Command', 'expected a JSON array of strings');
    }
    if (!Array.isArray(command) || command.some((a) => typeof a !== 'string'))
      throw invalid('Command', 'expected a JSON array of strings');
    const problem = commandProblem(command as string[]);
    if (problem) throw invalid('Command', problem);
    await this.groups.refresh(g);
    const state =
      g.runtime?.containers.find((c) => c.name === container) ??
      g.runtime?.initContainers.find((c) => c.name === container);
    if (![...g.spec.initContainers, ...g.spec.containers].some((c) => c.name === container))
      throw invalid('ContainerName', `container "${container}" is not part of ${g.id}`);
    if (state?.state !== 'Running')
      throw new ApiError(400, 'IncorrectStatus.ContainerNotRunning', `container "${container}" is not running.`);
    const path = this.exec.mint({
      groupId: g.id,
      container,
      command: command as string[],
      tty: p.bool('TTY') ?? false,
      stdin: p.bool('Stdin') ?? true,
    });
    const base = new URL(this.endpoint);
    return { WebSocketUri: `ws://${base.host}${path}`, HttpUrl: `${this.endpoint}${path}` };
  }

  /** CreateImageCache with the published parameters; `Image.N` ≤ 20, `ImageRegistryCredential.N` ≤ 10, `Tag.N` ≤ 20. */
  private createImageCache(p: Params): Record<string, unknown> {
    p.required('RegionId');
    p.required('SecurityGroupId');
    p.required('VSwitchId');
    const name = p.required('ImageCacheName');
    if (!/^[a-z0-9][a-z0-9-]{1,127}$/.test(name))
      throw invalid('ImageCacheName', '2 to 128 lowercase letters, digits and hyphens, not starting with a hyphen');
    const images = p.strings('Image');
    if (!images.length) throw missing('Image.1');
    if (images.length > 20) throw invalid('Image', 'at most 20 images');
    const credentials = p.list('ImageRegistryCredential').map((c) => ({
      server: c.required('Server'),
      user: c.required('UserName'),
      password: c.required('Password'),
    }));
    if (credentials.length > 10) throw invalid('ImageRegistryCredential', 'at most 10 credentials');
    const tags = p.tags();
    if (tags.length > 20) throw invalid('Tag', 'at most 20 tags');
    const eip = p.str('EipInstanceId');
    if (eip && p.bool('AutoCreateEip')) throw invalid('AutoCreateEip', 'cannot be combined with EipInstanceId');
    const retentionDays = p.int('RetentionDays', 1);
    const c = this.imageCaches.create({
      name,
      images,
      tags,
      ...(retentionDays !== undefined ? { retentionDays } : {}),
      sizeGiB: p.int('ImageCacheSize', 20, 500) ?? 20,
      credentialServers: credentials.map((x) => x.server),
      ...(p.str('ClientToken') ? { clientToken: p.str('ClientToken')! } : {}),
    });
    return { ImageCacheId: c.id, ContainerGroupId: c.containerGroupId };
  }

  /** Filters ImageCacheId, ImageCacheName, SnapshotId, Image, Tag.N, MatchImage.N; pages with Limit/NextToken. */
  private describeImageCaches(p: Params): Record<string, unknown> {
    const id = p.str('ImageCacheId');
    const name = p.str('ImageCacheName');
    const snapshot = p.str('SnapshotId');
    const image = p.str('Image');
    const tags = p.tags();
    if (tags.length > 20) throw invalid('Tag', 'at most 20 tags');
    const match = p.strings('MatchImage');
    if (match.length > 100) throw invalid('MatchImage', 'at most 100 images');
    const all = this.imageCaches
      .list()
      .filter((c) => (!id || c.id === id) && (!name || c.name === name))
      .filter((c) => !snapshot || (c.status === 'Ready' && c.snapshotId === snapshot))
      .filter((c) => !image || c.images.includes(image))
      .filter((c) => tags.every((t) => c.tags.some((x) => x.Key === t.Key && x.Value === t.Value)))
      .filter((c) => match.every((i) => c.images.includes(i)));
    const { items, NextToken, TotalCount } = this.page(p, all, PAGE.imageCaches);
    return { NextToken, TotalCount, ImageCaches: items.map((c) => describeCache(c, this.region)) };
  }

  private deleteImageCache(p: Params): Record<string, unknown> {
    p.required('RegionId');
    const id = p.required('ImageCacheId');
    if (!this.imageCaches.delete(id))
      throw new ApiError(404, 'InvalidImageCache.NotFound', `The specified image cache "${id}" does not exist.`);
    return {};
  }
}
