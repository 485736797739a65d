import type { Entity } from '@backstage/catalog-model';

/**
 * The annotation that ties a catalog entity to its GitHub repository (`owner/name`).
 *
 * @public
 */
export const GITHUB_PROJECT_SLUG_ANNOTATION = 'github.com/project-slug';

/**
 * The repository (`owner/name`) of an entity, or undefined when it has no usable `github.com/project-slug`.
 *
 * @public
 */
export function getProjectSlug(entity: Entity): string | undefined {
  const slug = entity.metadata.annotations?.[GITHUB_PROJECT_SLUG_ANNOTATION]?.trim();
  return slug && /^[^/\s]+\/[^/\s]+$/.test(slug) ? slug : undefined;
}

/**
 * Whether the Elastic CI tab applies to an entity: it has a `github.com/project-slug` annotation.
 *
 * @public
 */
export function isElasticCiAvailable(entity: Entity): boolean {
  return getProjectSlug(entity) !== undefined;
}
