/**
 * `yarn engine check`: a smoke test of the running engine through its Docker-compatible API, covering exactly what
 * the `docker` backend relies on — run + logs, a second container joining the first one's network namespace
 * (`NetworkMode: container:<id>`) and sharing a named volume, and exec with its true exit code.
 */
import { Internal } from '@eci-virtual/contract';
import { layout } from './engine-layout.js';
import { API } from './podman-service.js';
import { request, type HttpAnswer } from './unix-http.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

async function call(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  const res = await request({ socketPath: layout.socket }, `${API}${path}`, { method, body, timeoutMs: 60_000 });
  if (!res) throw new Internal(`${method} ${path}: no answer from ${layout.socket}`);
  if (res.status >= 400) throw new Internal(`${method} ${path}: HTTP ${res.status} ${res.body.trim()}`);
  return res;
}

/** Splits Docker's multiplexed stream (8-byte headers: stream type, 3 zero bytes, big-endian length). */
export function demultiplex(raw: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (let i = 0; i + 8 <= raw.length;) {
    const size = raw.readUInt32BE(i + 4);
    const chunk = raw.subarray(i + 8, i + 8 + size).toString('utf8');
    if (raw[i] === 2) stderr += chunk;
    else stdout += chunk;
    i += 8 + size;
  }
  return { stdout, stderr };
}

export async function checkEngine(busyboxImage: string): Promise<CheckResult[]> {
  const tag = `eci-virtual-check-${process.pid}`;
  const made: string[] = [];
  const results: CheckResult[] = [];
  const step = async (name: string, fn: () => Promise<string>) => {
    const started = Date.now();
    try {
      results.push({ name, ok: true, detail: await fn(), ms: Date.now() - started });
    } catch (err) {
      results.push({
        name,
        ok: false,
        detail: err instanceof Error ? err.message : String(err),
        ms: Date.now() - started,
      });
    }
  };
  const create = async (name: string, body: Record<string, unknown>) => {
    const res = await call('POST', `/containers/create?name=${tag}-${name}`, { Image: busyboxImage, ...body });
    const id = (JSON.parse(res.body) as { Id: string }).Id;
    made.unshift(id); // removed newest first: joiners before the namespace owner (podman refuses the other order)
    return id;
  };
  const runToEnd = async (id: string) => {
    await call('POST', `/containers/${id}/start`);
    const code = (JSON.parse((await call('POST', `/containers/${id}/wait`)).body) as { StatusCode: number }).StatusCode;
    const logs = demultiplex((await call('GET', `/containers/${id}/logs?stdout=1&stderr=1`)).raw);
    return { code, ...logs };
  };
  const volume = `${tag}-vol`;
  try {
    await step('run echo hi (create/start/wait/logs)', async () => {
      const out = await runToEnd(await create('hi', { Cmd: ['echo', 'hi'] }));
      if (out.code !== 0 || out.stdout !== 'hi\n')
        throw new Error(`exit ${out.code}, stdout ${JSON.stringify(out.stdout)}`);
      return 'stdout "hi"';
    });
    let owner = '';
    await step('shared network namespace + named volume', async () => {
      await call('POST', '/volumes/create', { Name: volume });
      const mounts = [{ Type: 'volume', Source: volume, Target: '/data' }];
      owner = await create('owner', {
        Cmd: [
          'sh',
          '-c',
          'echo from-owner > /data/marker; echo netns-ok > /tmp/i; exec httpd -f -p 127.0.0.1:8080 -h /tmp',
        ],
        HostConfig: { Mounts: mounts },
      });
      await call('POST', `/containers/${owner}/start`);
      const joiner = await create('joiner', {
        Cmd: [
          'sh',
          '-c',
          'for i in $(seq 50); do wget -q -O- http://127.0.0.1:8080/i && cat /data/marker && exit 0; sleep 0.1; done; exit 1',
        ],
        HostConfig: { NetworkMode: `container:${owner}`, Mounts: mounts },
      });
      const out = await runToEnd(joiner);
      if (out.code !== 0 || out.stdout !== 'netns-ok\nfrom-owner\n') {
        throw new Error(`exit ${out.code}, stdout ${JSON.stringify(out.stdout)}, stderr ${JSON.stringify(out.stderr)}`);
      }
      return 'joiner reached 127.0.0.1:8080 of the owner and read its file from the volume';
    });
    await step('exec exit code via /exec/<id>/json', async () => {
      if (!owner) throw new Error('skipped: no running owner container');
      const exec = await call('POST', `/containers/${owner}/exec`, {
        Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
        AttachStdout: true,
        AttachStderr: true,
      });
      const id = (JSON.parse(exec.body) as { Id: string }).Id;
      const stream = demultiplex((await call('POST', `/exec/${id}/start`, { Detach: false, Tty: false })).raw);
      const info = JSON.parse((await call('GET', `/exec/${id}/json`)).body) as { ExitCode: number; Running: boolean };
      if (info.ExitCode !== 3 || info.Running || stream.stdout !== 'out\n' || stream.stderr !== 'err\n') {
        throw new Error(`ExitCode ${info.ExitCode}, Running ${info.Running}, stream ${JSON.stringify(stream)}`);
      }
      return 'ExitCode 3, stdout/stderr separated';
    });
  } finally {
    for (const id of made)
      await request({ socketPath: layout.socket }, `${API}/containers/${id}?force=1&v=1&t=0`, { method: 'DELETE' });
    await request({ socketPath: layout.socket }, `${API}/volumes/${volume}?force=1`, { method: 'DELETE' });
  }
  return results;
}
