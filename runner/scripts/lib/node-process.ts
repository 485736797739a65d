/**
 * Runs `eci-virtual node` as a real child process (the esbuild bundle), so tests can kill and restart it like an
 * operator would. Output goes to .local/test-logs/<node>.log for post-mortems.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ports } from './cluster.js';
import { localDir, podHostAddress, repoRoot } from './paths.js';
import type { KubeClients } from '../../src/kube/client.js';
import { NODE_PROCESS_OPTIONS } from '../../src/virtual-node/heap-tuning.js';

export const bundlePath = join(repoRoot, 'runner', 'dist', 'eci-virtual.mjs');

/**
 * Node.js flags for the product processes tests and benchmarks start: with ECI_VIRTUAL_CPU_PROF_DIR set, each writes
 * a V8 CPU profile there when it exits (`--cpu-prof` is not allowed in NODE_OPTIONS).
 */
export function profileFlags(): string[] {
  const dir = process.env.ECI_VIRTUAL_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface NodeProcessOptions {
  nodeName: string;
  kubeconfig: string;
  dockerHost: string;
  infraImage: string;
  port: number;
  extraArgs?: string[];
  /** Extra environment for the node process (e.g. backend credentials). */
  env?: Record<string, string>;
}

export class NodeProcess {
  private child: ChildProcess | undefined;
  readonly logFile: string;

  constructor(readonly opts: NodeProcessOptions) {
    mkdirSync(join(localDir, 'test-logs'), { recursive: true });
    this.logFile = join(localDir, 'test-logs', `${opts.nodeName}.log`);
  }

  start(): void {
    const o = this.opts;
    const out = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(
      process.execPath,
      [
        ...profileFlags(),
        bundlePath,
        'node',
        '--node-name',
        o.nodeName,
        '--kubeconfig',
        o.kubeconfig,
        '--docker-host',
        o.dockerHost,
        '--infra-image',
        o.infraImage,
        '--port',
        String(o.port),
        '--pod-api-server',
        `${podHostAddress}:${ports.apiserver}`,
        ...(o.extraArgs ?? []),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        // NODE_OPTIONS as the chart sets it for the node container; `o.env` may override it.
        env: { ...process.env, NODE_OPTIONS: NODE_PROCESS_OPTIONS, ...o.env, ECI_VIRTUAL_LOG_LEVEL: 'debug' },
      },
    );
    this.child.stdout?.pipe(out);
    this.child.stderr?.pipe(out);
  }

  /** Waits until the Node object reports Ready with a fresh heartbeat (written after `since`). */
  async waitReady(kube: KubeClients, since = new Date(Date.now() - 1000), timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`node process ${this.opts.nodeName} exited; see ${this.logFile}`);
      const node = await kube.core.readNode({ name: this.opts.nodeName }).catch(() => undefined);
      const ready = node?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True' && new Date(ready.lastHeartbeatTime!).getTime() >= since.getTime() - 1000) return;
      await sleep(200);
    }
    throw new Error(`node ${this.opts.nodeName} not Ready after ${timeoutMs} ms; see ${this.logFile}`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: the process dies without any cleanup, as in a crash. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM and wait for a clean exit. */
  async stop(): Promise<number | null> {
    return this.signal('SIGTERM');
  }

  private async signal(sig: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}
