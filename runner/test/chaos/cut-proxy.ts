/**
 * A TCP proxy whose connections can be cut at will (test-only): put in front of kube-apiserver for the controller
 * replicas and the virtual node, `cut()` drops every open connection mid-stream — watches, status writes, exec and
 * log streams — as a flaky network or a load balancer restart would.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class CutProxy {
  private server: Server | undefined;
  private readonly open = new Set<Socket>();
  port = 0;
  cuts = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Drops every connection open right now; returns how many. */
  cut(): number {
    const n = this.open.size;
    for (const s of this.open) s.destroy();
    this.cuts++;
    return n;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.cut();
    });
  }
}
