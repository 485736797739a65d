/**
 * A virtual node: registers a Node, keeps its lease, runs the pods bound to it on a backend and serves the kubelet
 * API. Usage:
 *
 *   const node = new VirtualNode({ config, kube, backend, log });
 *   const done = node.run(signal);   // resolves after a clean shutdown (node left NotReady or deleted)
 *   await node.ready;                // registered, serving, pods reconciled
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { KubeClients } from '../kube/client.js';
import type { Logger } from '../observability/logger.js';
import { createNodeMetrics, type Metrics } from '../observability/metrics.js';
import type { Backend } from './backends/backend.js';
import { instrumentBackend } from './backends/instrumented.js';
import type { VirtualNodeConfig } from './config.js';
import { KubeAuthorizer, type Authorizer } from './kubelet-api/auth.js';
import { KubeletApi } from './kubelet-api/server.js';
import { loadServingCert } from './kubelet-api/serving-cert.js';
import { createStreamHandler } from './kubelet-api/stream-handler.js';
import { NodeLease } from './node/lease.js';
import { NodeRegistrar } from './node/node-registrar.js';
import { EventRecorder } from './pods/event-recorder.js';
import { kubeInputSource } from './pods/input-source.js';
import { PodController } from './pods/pod-controller.js';

export interface VirtualNodeOptions {
  config: VirtualNodeConfig;
  kube: KubeClients;
  backend: Backend;
  log: Logger;
  tls?: { certFile?: string; keyFile?: string };
  /** PEM of the CAs whose client certs may call the kubelet API; defaults to the kubeconfig's cluster CA. */
  clientCa?: string;
  /** Plain-HTTP Prometheus endpoint (`/metrics`), off when undefined. */
  metricsPort?: number;
  authorizer?: Authorizer;
}

export class VirtualNode {
  readonly ready: Promise<void>;
  readonly metrics: Metrics;
  readonly pods: PodController;
  private markReady!: () => void;
  private failReady!: (err: unknown) => void;
  private api: KubeletApi | undefined;

  constructor(private readonly opts: VirtualNodeOptions) {
    this.ready = new Promise((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => undefined);
    // The phase gauge reads the pod controller lazily, at scrape time.
    this.metrics = createNodeMetrics(() => this.pods.phaseCounts());
    const backend = instrumentBackend(opts.backend, this.metrics);
    const log = opts.log.child({ node: opts.config.nodeName });
    this.pods = new PodController({
      kube: opts.kube,
      backend,
      config: opts.config,
      inputs: kubeInputSource(opts.kube),
      events: new EventRecorder(opts.kube, opts.config.nodeName, log),
      log,
      metrics: this.metrics,
    });
    this.backend = backend;
  }

  private readonly backend: Backend;

  /** The port the kubelet API listens on (useful when configured as 0). */
  get kubeletPort(): number {
    return this.api?.port ?? this.opts.config.kubeletPort;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { config, kube, log } = this.opts;
    const registrar = new NodeRegistrar(kube, this.backend, config, log);
    const lease = new NodeLease(kube, () => registrar.node, config.nodeName, config.leaseRenewSeconds, log);
    const inner = new AbortController();
    const stop = () => inner.abort();
    signal.addEventListener('abort', stop, { once: true });
    let metricsServer: http.Server | undefined;
    const loops: Promise<unknown>[] = [];
    try {
      const cert = await loadServingCert({ ...this.opts.tls, nodeName: config.nodeName, addresses: [config.address] });
      this.api = new KubeletApi({
        port: config.kubeletPort,
        host: '0.0.0.0',
        cert,
        ...(this.clientCa() ? { clientCa: this.clientCa()! } : {}),
        nodeName: config.nodeName,
        pods: this.pods,
        backend: this.backend,
        auth: this.opts.authorizer ?? new KubeAuthorizer(kube, config.nodeName, { anonymous: config.anonymousAuth }),
        metrics: this.metrics.registry,
        streams: createStreamHandler({ pods: this.pods, backend: this.backend, log }),
        log,
      });
      await this.api.listen();
      // The kubelet port must be known before the node is registered (daemonEndpoints).
      config.kubeletPort = this.api.port;
      if (this.opts.metricsPort !== undefined) metricsServer = await this.serveMetrics(this.opts.metricsPort);
      await registrar.register();
      await lease.renew();
      loops.push(lease.run(inner.signal), registrar.run(inner.signal), this.backend.run(inner.signal));
      const podsDone = this.pods.run(inner.signal);
      loops.push(podsDone);
      // Reconciliation happens at the start of pods.run; give it a tick to list before declaring ready.
      await Promise.race([podsDone, new Promise((r) => setTimeout(r, 0))]);
      log.info('virtual node ready', { kubeletPort: this.api.port, backend: this.backend.name });
      this.markReady();
      await new Promise<void>((resolve) => inner.signal.addEventListener('abort', () => resolve(), { once: true }));
    } catch (err) {
      this.failReady(err);
      inner.abort();
      throw err;
    } finally {
      signal.removeEventListener('abort', stop);
      await Promise.allSettled(loops);
      await this.api?.close();
      metricsServer?.close();
      await registrar.shutdown();
    }
  }

  private clientCa(): string | undefined {
    if (this.opts.clientCa) return this.opts.clientCa;
    const cluster = this.opts.kube.config.getCurrentCluster();
    if (cluster?.caData) return Buffer.from(cluster.caData, 'base64').toString('utf8');
    // In a pod (in-cluster config) the CA comes as a file: the service account's ca.crt.
    if (cluster?.caFile && existsSync(cluster.caFile)) return readFileSync(cluster.caFile, 'utf8');
    return undefined;
  }

  private async serveMetrics(port: number): Promise<http.Server> {
    const server = http.createServer((req: IncomingMessage, res) => {
      if (req.url === '/metrics') {
        void this.metrics.registry.metrics().then((body) => {
          res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
          res.end(body);
        });
      } else if (req.url === '/healthz') res.end('ok');
      else res.writeHead(404).end();
    });
    server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', resolve));
    return server;
  }
}
