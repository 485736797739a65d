/**
 * Reads a repository's `.github/eci-virtual.yml` at a commit through the GitHub client. Shared by the launcher (at
 * the job's `head_sha`, before its pod exists) and the portal API (at `HEAD`, as a new job would see it), so both
 * read the settings the same way. Never throws for a missing or invalid file: the controller's defaults apply and
 * `source` says why; only a GitHub call that fails propagates.
 */
import type { Logger } from '../../observability/logger.js';
import type { GitHubClient } from '../github/github-client.js';
import { defaultRepoSettings, parseRepoSettings, SETTINGS_PATH, type RepoSettings } from './repo-settings.js';

export async function readRepoSettings(
  github: Pick<GitHubClient, 'getFileText'>,
  repo: string,
  sha: string,
  log: Logger,
): Promise<RepoSettings> {
  const text = await github.getFileText(repo, SETTINGS_PATH, sha);
  if (text === undefined) return defaultRepoSettings();
  try {
    return parseRepoSettings(text, `${SETTINGS_PATH}@${sha.slice(0, 12)}`);
  } catch (err) {
    log.warn('repository settings are invalid; using defaults', { repo, err: (err as Error).message });
    return defaultRepoSettings(`controller defaults (${SETTINGS_PATH} invalid: ${(err as Error).message})`);
  }
}
