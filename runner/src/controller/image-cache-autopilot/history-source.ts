/**
 * The autopilot's inputs from the controller's own stores: its job history (JobHistorySource over the history
 * database's `imageUses`, history/sql-job-history.ts) and each repository's `.github/eci-virtual.yml` cache settings
 * (read at the default branch head, kept for `ttlMs`, refreshed for the repositories the history names before each
 * pass, so the planner's synchronous `overrides` lookup sees settings at most `ttlMs` old).
 */
import type { GitHubClient } from '../github/github-client.js';
import type { JobHistoryStore } from '../history/job-history-store.js';
import { readRepoSettings } from '../settings/repo-settings-reader.js';
import type { Logger } from '../../observability/logger.js';
import { cacheOverrideOf } from './repo-overrides.js';
import type { ImageUse, JobHistorySource, RepoCacheOverride } from './types.js';

export class RepoOverrideCache {
  private readonly known = new Map<string, { at: number; override: RepoCacheOverride | undefined }>();

  constructor(
    private readonly opts: {
      github: Pick<GitHubClient, 'getFileText'>;
      log: Logger;
      /** How long a repository's settings are used before they are read again (default 10 min). */
      ttlMs?: number;
      now?: () => number;
    },
  ) {}

  /** The settings last read for `repo`; undefined when never read (the autopilot then learns from it). */
  get = (repo: string): RepoCacheOverride | undefined => this.known.get(repo)?.override;

  /** Reads the settings of the repositories not read within the TTL (a repository that cannot be read keeps its last). */
  async refresh(repos: Iterable<string>, signal?: AbortSignal): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    const ttl = this.opts.ttlMs ?? 600_000;
    for (const repo of new Set(repos)) {
      if (signal?.aborted) return;
      const seen = this.known.get(repo);
      if (seen && now - seen.at < ttl) continue;
      try {
        // readRepoSettings answers the defaults when the file is absent and throws on a broken one.
        const settings = await readRepoSettings(this.opts.github, repo, 'HEAD', this.opts.log);
        this.known.set(repo, { at: now, override: cacheOverrideOf(settings) });
      } catch (err) {
        this.opts.log.debug('image cache autopilot: could not read the repository settings; keeping the last', {
          repo,
          err: (err as Error).message,
        });
        this.known.set(repo, { at: now, override: seen?.override });
      }
    }
  }
}

/** Job history for the autopilot: finished jobs' image uses since `since`, their repositories' settings refreshed. */
export function historyImageSource(
  history: Pick<JobHistoryStore, 'imageUses'>,
  overrides?: RepoOverrideCache,
): JobHistorySource {
  return {
    async usesSince(since: number, signal?: AbortSignal): Promise<ImageUse[]> {
      const uses = await history.imageUses(since);
      await overrides?.refresh(
        uses.map((u) => u.repo),
        signal,
      );
      return uses;
    },
  };
}
