import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { ExecIo, ExecTransport } from '../kube/exec.js';
import { checkoutDestination, uploadWorkingTree } from './checkout.js';

describe('actions/checkout', () => {
  it('puts the tree below the workspace, never outside it', () => {
    expect(checkoutDestination('/__w/app/app', '')).toBe('/__w/app/app');
    expect(checkoutDestination('/__w/app/app', 'sub/dir')).toBe('/__w/app/app/sub/dir');
    expect(() => checkoutDestination('/__w/app/app', '../other')).toThrow(/must stay inside the workspace/);
    expect(() => checkoutDestination('/__w/app/app', '/etc')).toThrow(/must stay inside the workspace/);
  });

  it('uploads the tree with one exec into the destination and reports the extract error', async () => {
    const root = mkdtempSync(join(tmpdir(), 'eci-checkout-'));
    writeFileSync(join(root, 'a.txt'), 'hello');
    const calls: { container: string; command: string[]; bytes: number }[] = [];
    const transport = (code: number): ExecTransport => ({
      exec: async (_pod, container, command, io: ExecIo) => {
        calls.push({ container, command, bytes: Buffer.byteLength(io.stdin ?? '') });
        io.stderr(Buffer.from('tar: disk full\n'));
        return code;
      },
    });
    const pod = { namespace: 'ns', name: 'pod' };
    expect(await uploadWorkingTree(transport(0), pod, root, '/__w/app/app')).toMatch(
      new RegExp(`^checked out the directory \\(0\\.0 MiB\\) from ${root} into /__w/app/app$`),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ container: 'job', command: expect.arrayContaining(['/__w/app/app']) });
    expect(calls[0]!.bytes).toBeGreaterThan(0);
    await expect(uploadWorkingTree(transport(2), pod, root, '/x')).rejects.toThrow(
      'extracting the working tree failed (exit 2): tar: disk full',
    );
  });
});
