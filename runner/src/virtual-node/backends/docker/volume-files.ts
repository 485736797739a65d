/** Packs a volume's files (ConfigMap/Secret/downward API contents) into a tar for the engine's archive upload. */
import { pack } from 'tar-stream';
import type { VolumeFile } from '../backend.js';

export async function tarFiles(files: VolumeFile[]): Promise<Buffer> {
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
        p.entry({ name: dir, type: 'directory', mode: 0o755 });
      }
    }
    p.entry({ name: parts.join('/'), mode: f.mode & 0o777, size: f.content.length }, f.content);
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
