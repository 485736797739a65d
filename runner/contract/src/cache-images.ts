/**
 * The pod annotation that carries the repository's image cache list (`imageCache.images` in `.github/eci-virtual.yml`)
 * from the controller (or `eci-virtual run`) to the virtual node. The `eci` backend keeps an ECI image cache per
 * image set; the `docker` backend pre-pulls the images into the engine. One module so both sides agree on the name
 * and on the value's form: image references, comma separated, sorted, without duplicates.
 */
import { ANNOTATION } from './keys.js';

export const CACHE_IMAGES_ANNOTATION = ANNOTATION.cacheImages;

/** What one ECI image cache holds (CreateImageCache `Image.N`, N ≤ 20). */
export const MAX_CACHE_IMAGES = 20;

/** The canonical set: trimmed, non-empty, deduplicated, sorted (so equal sets compare equal). */
export function normalizeImageSet(images: readonly string[]): string[] {
  return [...new Set(images.map((i) => i.trim()).filter(Boolean))].sort();
}

export function formatCacheImages(images: readonly string[]): string {
  return normalizeImageSet(images).join(',');
}

/** The annotation's images (`[]` when absent or empty). */
export function cacheImagesOf(annotations: Record<string, string> | undefined): string[] {
  const value = annotations?.[CACHE_IMAGES_ANNOTATION];
  return value ? normalizeImageSet(value.split(',')) : [];
}
