/** A repository's `.github/eci-virtual.yml` image cache settings → what the autopilot must respect. */
import type { RepoSettings } from '../settings/repo-settings.js';
import type { RepoCacheOverride } from './types.js';

export function cacheOverrideOf(settings: RepoSettings): RepoCacheOverride {
  return { autopilot: settings.imageCache.autopilot !== false, images: settings.imageCache.images };
}
