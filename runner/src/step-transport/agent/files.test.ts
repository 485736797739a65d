/**
 * The files API and the TCP listener of a real agent (built through runner/scripts/lib/agent-build.ts, cached),
 * driven through AgentClient: putFiles/getFiles round trip, the agent's refusals in the shared error vocabulary,
 * and the same API and token on `serve --listen` as on the socket.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ensureAgent } from '../../../scripts/lib/agent-build.js';
import { AgentClient } from './client.js';
import { startLocalAgent, type LocalAgent } from './local-agent.js';

let tmp: string;
let agent: LocalAgent;
let port: number;
let tcp: AgentClient;
let root: string;

/** A port free right now (the agent binds it a moment later). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const tarOf = (dir: string, ...names: string[]) =>
  execFileSync('tar', ['-c', '-f', '-', '-C', dir, ...names], { maxBuffer: 64 << 20 });

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  const binary = await ensureAgent();
  tmp = mkdtempSync('/tmp/eci-files-test-');
  root = join(tmp, 'w');
  mkdirSync(root);
  port = await freePort();
  agent = await startLocalAgent({
    binary,
    dir: join(tmp, 'a'),
    flags: ['--listen', `127.0.0.1:${port}`, '--files-root', root, '--max-files-bytes', String(1 << 20)],
  });
  tcp = new AgentClient({ host: '127.0.0.1', port, token: agent.token });
}, 180_000);

afterAll(async () => {
  tcp?.close();
  if (agent) expect(await agent.stop()).toBe(0);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('TCP listener', () => {
  it('serves the same API with the same token', async () => {
    expect(await tcp.health()).toBe(true);
    const chunks: Buffer[] = [];
    const res = await tcp.run({ id: 'tcp1', argv: ['/bin/sh', '-c', 'echo over tcp'], env: {} }, (c) => chunks.push(c));
    expect(res.exitCode).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe('over tcp\n');
    const stranger = new AgentClient({ host: '127.0.0.1', port, token: 'x'.repeat(64) });
    await expect(stranger.status('tcp1')).rejects.toMatchObject({ code: 'Unauthorized' });
    expect(await stranger.health()).toBe(true); // no token needed
    stranger.close();
  });

  it('needs a socket path or a host and port', () => {
    expect(() => new AgentClient({ token: agent.token })).toThrow(/socketPath or a host and port/);
  });
});

describe('files', () => {
  it('round-trips a tree (Buffer up, stream down), over TCP and the socket alike', async () => {
    const src = join(tmp, 'src');
    mkdirSync(join(src, 'a/b'), { recursive: true });
    writeFileSync(join(src, 'a/b/f.txt'), 'hello');
    writeFileSync(join(src, 'top'), 'x'.repeat(10_000), { mode: 0o755 });
    expect(await tcp.putFiles(join(root, 'tree'), tarOf(src, '.'))).toEqual({ files: 2, bytes: 10_005 });
    expect(readFileSync(join(root, 'tree/a/b/f.txt'), 'utf8')).toBe('hello');

    const viaSocket = agent.client();
    const tar = await collect(await viaSocket.getFiles(join(root, 'tree')));
    viaSocket.close();
    const listing = execFileSync('tar', ['-t', '-f', '-'], { input: tar }).toString().split('\n').filter(Boolean);
    expect(listing.sort()).toEqual(['a/', 'a/b/', 'a/b/f.txt', 'top']);
  });

  it('takes a stream body', async () => {
    const src = join(tmp, 'src2');
    mkdirSync(src);
    writeFileSync(join(src, 'one'), '1');
    const body = Readable.from([tarOf(src, 'one')]);
    expect(await tcp.putFiles(join(root, 'streamed'), body)).toEqual({ files: 1, bytes: 1 });
  });

  it('refuses a dir outside its roots, a missing dir, and an oversized body, in the shared vocabulary', async () => {
    await expect(tcp.putFiles('/etc', tarOf(tmp, 'src2/one'))).rejects.toMatchObject({ code: 'Forbidden' });
    await expect(tcp.getFiles(join(root, '..'))).rejects.toMatchObject({ code: 'Forbidden' });
    await expect(tcp.getFiles(join(root, 'nope'))).rejects.toMatchObject({ code: 'NotFound' });
    const big = join(tmp, 'big');
    mkdirSync(big);
    writeFileSync(join(big, 'f'), Buffer.alloc(2 << 20));
    // A Buffer (Content-Length known: refused before reading) and a stream (refused midway).
    await expect(tcp.putFiles(join(root, 'big'), tarOf(big, 'f'))).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(tcp.putFiles(join(root, 'big'), Readable.from([tarOf(big, 'f')]))).rejects.toMatchObject({
      message: expect.stringMatching(/over 1048576 bytes|unreachable/),
    });
    // The client still works afterwards.
    expect(await tcp.health()).toBe(true);
  });

  it('fails a stream body that fails, with its own error', async () => {
    const body = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    await expect(tcp.putFiles(join(root, 'x'), body)).rejects.toThrow(/disk on fire/);
  });
});
