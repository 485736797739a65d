/**
 * One HTTP address in front of several controller replicas, as a Kubernetes Service is (test-only): each request
 * goes to the next replica in turn; a replica that refuses the connection (dead) is skipped for the next — what a
 * Service does once the dead pod leaves its endpoints — so only a request that no replica can take fails (502).
 * Nothing is retried once a replica has the request: a replica that takes it and dies leaves it to the caller, as a
 * real Service would. Every request is logged with the replica that answered it.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export interface FrontEntry {
  at: number;
  method: string;
  path: string;
  /** Index of the replica that answered; -1 when none could. */
  replica: number;
  status: number;
  /** X-GitHub-Delivery of a webhook. */
  delivery?: string;
}

export class RoundRobinFront {
  readonly log: FrontEntry[] = [];
  private server: Server | undefined;
  private next = 0;
  port = 0;

  constructor(private readonly ports: () => number[]) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const fail = () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('front failed');
      };
      void (async () => {
        const body = await readAll(req);
        const ports = this.ports();
        const first = this.next++ % ports.length;
        for (let k = 0; k < ports.length; k++) {
          const replica = (first + k) % ports.length;
          const answer = await forward(ports[replica]!, req, body).then(
            (a) => ({ ok: true as const, ...a }),
            (err: NodeJS.ErrnoException) => ({ ok: false as const, code: err.code }),
          );
          if (!answer.ok) {
            if (answer.code === 'ECONNREFUSED') continue; // not listening: nothing was taken, try the next
            break;
          }
          this.entry(req, replica, answer.status);
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body);
          return;
        }
        this.entry(req, -1, 502);
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('no controller replica answered');
      })().catch(fail);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  private entry(req: IncomingMessage, replica: number, status: number): void {
    const delivery = req.headers['x-github-delivery'];
    this.log.push({
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      replica,
      status,
      ...(typeof delivery === 'string' ? { delivery } : {}),
    });
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(
  port: number,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (res) => {
      readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}
