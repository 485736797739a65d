/**
 * The one encoding of free text into a Kubernetes label value, and of a repository into the repository label.
 * Label values are at most 63 characters of [A-Za-z0-9_.-], beginning and ending with an alphanumeric (or empty):
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */

const MAX = 63;

/**
 * A valid label value for any text: other characters become `_`, the result is cut to 63 characters and THEN
 * stripped of non-alphanumerics at both ends (cutting after stripping could leave a trailing `-`, `_` or `.`).
 */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, MAX)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** The repository label (`LABEL.repo`): `owner/name` as `owner.name` (GitHub owners cannot contain `.`). */
export function repositoryLabel(repository: string): string {
  return labelValue(repository.replace('/', '.'));
}
