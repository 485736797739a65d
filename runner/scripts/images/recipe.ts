/**
 * An image recipe: fills an empty root filesystem and says how the image runs. Packaging (tar → umoci → OCI layout),
 * caching and pushing are shared (lib/image-build.ts, lib/image-cache.ts); recipes never pull from a public registry.
 */
import type { Tool } from '../lib/tools.js';

export interface ImageConfig {
  env: string[];
  cmd: string[];
  /** The image's ENTRYPOINT; most recipes have none (the runtime then runs `cmd` directly). */
  entrypoint?: string[];
  workingDir: string;
  /** Extra labels; the recipe hash label is added by the packager. */
  labels?: Record<string, string>;
}

export interface BuildContext {
  /** Per-user cache directory for downloads a recipe may reuse across builds (e.g. debootstrap's .debs). */
  downloadCache: string;
  log: (msg: string) => void;
}

export interface ImageRecipe {
  /** Key in env.json's `images`. */
  name: string;
  /** Repository path in the registry, without the registry address. */
  repository: string;
  tag: string;
  /** Host tools the build needs (checked before building, with the apt package to install). */
  tools: Tool[];
  config: ImageConfig;
  /**
   * Everything that decides the image's content; its hash names the cache entry and is stamped as a label. Bump
   * `revision` whenever the build steps change in a way these inputs do not capture.
   */
  inputs(): Promise<Record<string, unknown>>;
  /** Fills `rootfs`, an empty directory. Runs as root. */
  buildRootfs(rootfs: string, ctx: BuildContext): Promise<void>;
}

/** The label carrying the recipe hash, so an image found anywhere says which recipe made it. */
export const RECIPE_LABEL = 'dev.eci-virtual.recipe-hash';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
