/**
 * One-shot HTTP requests to a unix socket (the Podman service) or a loopback TCP address (the registry). Never throws:
 * readiness checks poll these and treat "no answer" as "not ready yet".
 */
import http from 'node:http';

export interface HttpTarget {
  /** A unix socket path, or undefined for TCP. */
  socketPath?: string;
  host?: string;
  port?: number;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  body: string;
  /** The body's bytes (Docker's multiplexed streams are binary). */
  raw: Buffer;
}

export interface HttpCall {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
}

export function request(target: HttpTarget, path: string, call: HttpCall = {}): Promise<HttpAnswer | undefined> {
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  return new Promise((resolve) => {
    const req = http.request(
      {
        ...target,
        path,
        method: call.method ?? 'GET',
        timeout: call.timeoutMs ?? 5_000,
        // A fresh connection per call: readiness polls must not reuse a socket to a process that just restarted.
        agent: false,
        headers: {
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
          ...call.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
        });
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(payload);
  });
}
