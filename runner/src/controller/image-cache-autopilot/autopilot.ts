/**
 * The image-cache autopilot: every `intervalMs`, one bounded pass — read the job history of the last `windowMs`,
 * weigh each repository's image sets and learn the base images its kaniko builds pulled (hot-images.ts), ask the
 * digest source for the current digest of the hottest images, list the warm sets, plan (planner.ts) and carry the
 * plan out (retirements first, then at most `maxChangesPerPass` creations), logging every decision with its reason (decision-log.ts) and counting passes and
 * decisions. A pass never throws: a failure is logged and the next pass tries again. `run` stops when its signal
 * aborts, between or within passes (the service calls get the signal).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { describeError } from '@eci-virtual/contract';
import type { Logger } from '../../observability/logger.js';
import type { AutopilotMetrics } from './autopilot-metrics.js';
import { DecisionLog, type LoggedDecision } from './decision-log.js';
import { hotSets, learnedKanikoBases } from './hot-images.js';
import { plan, type Decision, type PlanLimits } from './planner.js';
import type { DigestSource, JobHistorySource, RepoCacheOverride, WarmImageService } from './types.js';

export interface AutopilotOptions {
  history: JobHistorySource;
  service: WarmImageService;
  digests?: DigestSource;
  /** The repository's `.github/eci-virtual.yml` cache settings, when known. */
  overrides?: (repo: string) => RepoCacheOverride | undefined;
  /** Budget (sets, GiB) and weighing; the service's quota is taken from the service. */
  budget: Omit<PlanLimits, 'quota'>;
  /** Disk size of a set (default 20 GiB, ECI's default ImageCacheSize). */
  sizeGiB?: (images: readonly string[]) => number;
  log: Logger;
  metrics?: AutopilotMetrics;
  /** Between passes (default 10 min). */
  intervalMs?: number;
  /** History looked at (default 7 days). */
  windowMs?: number;
  halfLifeMs?: number;
  /** Creations and retirements carried out per pass at most (default 10); the rest waits for the next pass. */
  maxChangesPerPass?: number;
  /** Digests asked per pass at most (default 40; images of the hottest sets first). */
  maxDigestChecks?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Told of every decision logged, and again when a repeat folds into it (decision-store.ts keeps them). */
  onDecision?: (d: LoggedDecision) => void;
}

export interface PassResult {
  pass: number;
  decisions: LoggedDecision[];
}

const DEFAULT_SET_GIB = 20;

export class ImageCacheAutopilot {
  readonly decisions: DecisionLog;
  private passes = 0;
  private lastDigests = new Map<string, string | undefined>();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: AutopilotOptions) {
    this.log = opts.log.child({ component: 'image-cache-autopilot' });
    this.decisions = new DecisionLog(1000, opts.onDecision);
    this.now = opts.now ?? Date.now;
  }

  async run(signal: AbortSignal): Promise<void> {
    const sleep = this.opts.sleep ?? ((ms: number, s: AbortSignal) => delay(ms, undefined, { signal: s }));
    while (!signal.aborted) {
      await this.pass(signal);
      await sleep(this.opts.intervalMs ?? 600_000, signal).catch(() => undefined);
    }
  }

  /** One pass; never throws. */
  async pass(signal?: AbortSignal): Promise<PassResult> {
    const pass = ++this.passes;
    const started = this.now();
    const timer = this.opts.metrics?.passSeconds.startTimer();
    const logged: LoggedDecision[] = [];
    try {
      const decisions = await this.decide(signal);
      let changes = 0;
      const max = this.opts.maxChangesPerPass ?? 10;
      // Retirements first: the room they free is what creations were planned into.
      const ordered = [
        ...decisions.filter((d) => d.action === 'retire'),
        ...decisions.filter((d) => d.action !== 'retire'),
      ];
      for (const d of ordered) {
        if (signal?.aborted) break;
        const changing = d.action === 'retire' || d.action === 'create' || d.action === 'refresh';
        const entry: LoggedDecision = { ...d, at: started, pass, outcome: 'noop' };
        if (changing && changes >= max) {
          entry.action = 'skip';
          entry.reason = `${d.action} deferred to the next pass (at most ${max} changes a pass): ${d.reason}`;
        } else if (changing) {
          changes++;
          await this.carryOut(d, entry, signal);
        }
        logged.push(entry);
        this.decisions.add(entry);
        this.opts.metrics?.decisions.inc({ action: entry.action, outcome: entry.outcome });
        if (changing)
          this.log.info('image cache autopilot decision', {
            pass,
            action: entry.action,
            repo: entry.repo,
            set: entry.setId ?? entry.createdId,
            images: entry.images.length,
            reason: entry.reason,
            outcome: entry.outcome,
            ...(entry.error ? { err: entry.error } : {}),
          });
      }
      this.opts.metrics?.passes.inc({ outcome: signal?.aborted ? 'cancelled' : 'ok' });
    } catch (err) {
      this.opts.metrics?.passes.inc({ outcome: signal?.aborted ? 'cancelled' : 'failed' });
      if (!signal?.aborted) this.log.warn('image cache autopilot pass failed', { pass, err: describeError(err) });
    } finally {
      timer?.();
    }
    return { pass, decisions: logged };
  }

  private async decide(signal?: AbortSignal): Promise<Decision[]> {
    const now = this.now();
    const uses = await this.opts.history.usesSince(now - (this.opts.windowMs ?? 7 * 86_400_000), signal);
    const weighing = { now, ...(this.opts.halfLifeMs ? { halfLifeMs: this.opts.halfLifeMs } : {}) };
    const hot = hotSets(uses, weighing);
    const existing = await this.opts.service.list(signal);
    for (const state of ['pending', 'ready', 'failed'] as const)
      this.opts.metrics?.sets.set({ state }, existing.filter((s) => s.state === state).length);
    const digests = new Map<string, string | undefined>();
    if (this.opts.digests) {
      const images = [...new Set(hot.flatMap((h) => h.images))].slice(0, this.opts.maxDigestChecks ?? 40);
      for (const image of images) {
        if (signal?.aborted) break;
        digests.set(image, await this.opts.digests.digest(image, signal).catch(() => undefined));
      }
    }
    const previousDigests = this.lastDigests;
    this.lastDigests = new Map([...previousDigests, ...digests]);
    return plan({
      now,
      previousDigests,
      hot,
      learned: learnedKanikoBases(uses, weighing),
      existing,
      overrides: this.opts.overrides ?? (() => undefined),
      digests,
      limits: { ...this.opts.budget, quota: this.opts.service.quota },
      sizeGiB: this.opts.sizeGiB ?? (() => DEFAULT_SET_GIB),
    });
  }

  private async carryOut(d: Decision, entry: LoggedDecision, signal?: AbortSignal): Promise<void> {
    try {
      if (d.action === 'retire') await this.opts.service.delete(d.setId!, signal);
      else
        entry.createdId = await this.opts.service.create(
          { name: d.name, images: d.images, labels: d.labels ?? {} },
          signal,
        );
      entry.outcome = 'done';
    } catch (err) {
      entry.outcome = 'failed';
      entry.error = describeError(err);
    }
  }
}
