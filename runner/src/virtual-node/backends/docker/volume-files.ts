/** Packs a volume's files (ConfigMap/Secret/downward API contents) into a tar for the engine's archive upload. */
import { pack } from 'tar-stream';
import type { VolumeFile } from '../backend.js';

/**
 * With `fsGroup` (pod securityContext), files belong to that group and are group-readable, as kubelets make them,
 * so non-root containers can read their Secrets and ConfigMaps.
 */
export async function tarFiles(files: VolumeFile[], fsGroup?: number): Promise<Buffer> {
  const owner = fsGroup === undefined ? {} : { uid: 0, gid: fsGroup };
  const groupRead = fsGroup === undefined ? 0 : 0o040;
  const p = pack();
  const dirs = new Set<string>();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    if (parts.some((x) => x === '..')) throw new Error(`volume file path "${f.path}" must not contain ".."`);
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        p.entry({ name: dir, type: 'directory', mode: 0o755, ...owner });
      }
    }
    p.entry({ name: parts.join('/'), mode: (f.mode & 0o777) | groupRead, size: f.content.length, ...owner }, f.content);
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
