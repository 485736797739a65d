import { describe, expect, it } from '@jest/globals';
import { extract } from 'tar-stream';
import { tarFiles } from './volume-files.js';

async function entries(tar: Buffer) {
  const ex = extract();
  const out: { name: string; mode: number; uid: number; gid: number }[] = [];
  ex.on('entry', (h, stream, next) => {
    out.push({ name: h.name, mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0 });
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  ex.end(tar);
  await done;
  return out;
}

describe('volume file archives', () => {
  const files = [{ path: 'dir/token', content: Buffer.from('x'), mode: 0o400 }];

  it('keeps modes as given without fsGroup', async () => {
    expect(await entries(await tarFiles(files))).toEqual([
      { name: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { name: 'dir/token', mode: 0o400, uid: 0, gid: 0 },
    ]);
  });

  it('gives files to the fsGroup, group-readable, as kubelets do', async () => {
    expect((await entries(await tarFiles(files, 65532)))[1]).toEqual({
      name: 'dir/token',
      mode: 0o440,
      uid: 0,
      gid: 65532,
    });
  });

  it('refuses paths that climb out of the volume', async () => {
    await expect(tarFiles([{ path: '../etc/passwd', content: Buffer.from(''), mode: 0o644 }])).rejects.toThrow(/\.\./);
  });
});
