/**
 * A Docker Engine API front for one test: everything passes through to the real engine unchanged, except pulls of a
 * few aliased image names, which are served from images of our own — the way a registry mirror would serve them.
 *
 * Why: suites written for other kubelets use short image names that exist nowhere (the upstream virtual-kubelet e2e
 * suite runs `foo`, `bar` and `baz`). The API server defaults their pull policy to Always (untagged = `:latest`), so
 * the node pulls `foo`, which the engine normalizes to docker.io/library/foo. Here that pull becomes a pull of the
 * alias target from the local registry, then a tag of the target as `<alias>:latest`, so the container the node
 * creates from `foo` runs the target. The node and the pods stay as they are; only the test's engine knows the alias.
 *
 * Docker API facts used (Docker Engine API v1.41, served by Podman's compatible socket): `POST /images/create` with
 * `fromImage` and `tag` pulls and streams JSON progress objects, a failure being an object with `error`;
 * `POST /images/{name}/tag?repo=&tag=` tags; exec/attach hijack the connection after an `Upgrade: tcp` request.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ImageAliasEngine {
  /** DOCKER_HOST-style address of the front (unix://...). */
  dockerHost: string;
  /** Aliases whose pull was served, in order. */
  served: string[];
  close(): Promise<void>;
}

/** `foo`, `foo:latest`, `docker.io/library/foo` and `docker.io/library/foo:latest` are one name to the engine. */
export function aliasKey(fromImage: string, tag: string | null): string | undefined {
  let name = fromImage;
  let t = tag ?? '';
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    t = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  if (name.includes('@') || (t !== '' && t !== 'latest')) return undefined;
  return name.replace(/^(docker\.io\/)?(library\/)?/, '');
}

function splitReference(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/')
    ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) }
    : { repo: ref, tag: 'latest' };
}

export async function startImageAliasEngine(opts: {
  /** The real engine: unix:///path/to.sock. */
  upstream: string;
  /** Short name (`foo`) → image reference it is served from. */
  aliases: Record<string, string>;
}): Promise<ImageAliasEngine> {
  if (!opts.upstream.startsWith('unix://'))
    throw new Error(`image-alias engine needs a unix:// engine, got ${opts.upstream}`);
  const upstreamSocket = opts.upstream.slice('unix://'.length);
  const dir = mkdtempSync(join(tmpdir(), 'eci-alias-'));
  const socketPath = join(dir, 'engine.sock');
  const served: string[] = [];

  const call = (method: string, path: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const r = http.request({ socketPath: upstreamSocket, method, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      r.on('error', reject);
      r.end();
    });

  /** Pulls the target, tags it as `alias:latest`, then answers like the pull (progress objects, errors inline). */
  const servePull = async (alias: string, target: string, version: string, res: http.ServerResponse) => {
    const { repo, tag } = splitReference(target);
    const q = (o: Record<string, string>) => new URLSearchParams(o).toString();
    const pull = await call('POST', `${version}/images/create?${q({ fromImage: repo, tag })}`);
    let body = pull.body;
    if (pull.status < 300 && !/"error"/.test(body)) {
      const tagged = await call(
        'POST',
        `${version}/images/${encodeURIComponent(target)}/tag?${q({ repo: alias, tag: 'latest' })}`,
      );
      if (tagged.status >= 300)
        body += `${JSON.stringify({ error: `tagging ${target} as ${alias}: ${tagged.body}` })}\n`;
      else served.push(alias);
    }
    res.writeHead(pull.status, { 'Content-Type': 'application/json' });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const m = /^(\/v[\d.]+)?\/images\/create$/.exec(url.pathname);
    const alias =
      m && req.method === 'POST'
        ? aliasKey(url.searchParams.get('fromImage') ?? '', url.searchParams.get('tag'))
        : undefined;
    const target = alias !== undefined ? opts.aliases[alias] : undefined;
    if (alias !== undefined && target !== undefined) {
      req.resume();
      servePull(alias, target, m?.[1] ?? '', res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: String(err) }));
      });
      return;
    }
    const up = http.request(
      { socketPath: upstreamSocket, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.flushHeaders();
        upRes.pipe(res);
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });

  // Hijacked connections (exec/attach): replay the request head, then splice the two sockets.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const up = net.connect(upstreamSocket, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const end = () => {
      up.destroy();
      socket.destroy();
    };
    up.on('error', end);
    socket.on('error', end);
    up.on('close', () => socket.end());
    socket.on('close', () => up.end());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    dockerHost: `unix://${socketPath}`,
    served,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
