/**
 * Compressed size of a pushed image, read from its manifest (kaniko prints none). Best effort: anonymous access
 * only, so registries that want credentials yield undefined and the summary says "unknown".
 */
const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Manifest {
  config?: { size?: number };
  layers?: { size?: number }[];
}

/** `host[:port]/repo` → [host, repo]; undefined for Docker Hub short names (no registry host). */
export function splitRepository(repository: string): [string, string] | undefined {
  const slash = repository.indexOf('/');
  if (slash < 0) return undefined;
  const host = repository.slice(0, slash);
  if (!/[.:]/.test(host) && host !== 'localhost') return undefined;
  return [host, repository.slice(slash + 1)];
}

export async function imageSize(
  repository: string,
  digest: string,
  insecure: boolean,
  timeoutMs = 5_000,
): Promise<number | undefined> {
  const parts = splitRepository(repository);
  if (!parts) return undefined;
  const [host, repo] = parts;
  for (const scheme of insecure ? ['http', 'https'] : ['https']) {
    try {
      const res = await fetch(`${scheme}://${host}/v2/${repo}/manifests/${digest}`, {
        headers: { accept: ACCEPT },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) return undefined;
      const m = (await res.json()) as Manifest;
      if (!Array.isArray(m.layers)) return undefined;
      return (m.config?.size ?? 0) + m.layers.reduce((sum, l) => sum + (l.size ?? 0), 0);
    } catch {
      // try the next scheme
    }
  }
  return undefined;
}

export function humanBytes(n: number | undefined): string {
  if (n === undefined) return 'unknown';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
