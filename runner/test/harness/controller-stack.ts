/**
 * A GitHub emulator plus a real `eci-virtual controller` process pointed at it, serving one repository into one
 * test namespace, with job pods pinned to the suite's virtual node. The controller can be killed and restarted.
 *
 * With `replicas: N` it runs N controller processes on one config (each its own port and identity `<ns>-<i>`, as
 * pods of one Deployment), electing a leader on their Lease, behind a round-robin front (round-robin-front.ts) that
 * stands for the Service: the emulator delivers webhooks to the front, and `url` is the front's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { bundlePath, freePort, profileFlags } from '../../scripts/lib/node-process.js';
import { localDir, podHostAddress } from '../../scripts/lib/paths.js';
import { createAppKeyPair, type AppKeyPair } from '../github-emulator/app-key.js';
import { GitHubEmulator } from '../github-emulator/server.js';
import type { AssignmentOrder } from '../github-emulator/state.js';
import { readTestEnv } from './env.js';
import { ensureTestHooksImage } from './hooks-image.js';
import { RoundRobinFront } from './round-robin-front.js';
import { ensureTestRunnerImage } from './runner-image.js';

export const GITHUB_TOKEN = 'ghp_emulatorToken0123456789';
export const WEBHOOK_SECRET = 'whsec-test-5f1a';
export const PORTAL_TOKEN = 'portal-token-9c2e';
export const APP_ID = 123456;
export const INSTALLATION_ID = 7890123;

export interface ControllerStackOptions {
  repo: string;
  namespace: string;
  nodeName: string;
  maxConcurrentJobs?: number;
  pollIntervalSeconds?: number;
  extraConfig?: Record<string, unknown>;
  /** Defaults come from the integration test env file; benchmarks pass their own. */
  kubeconfig?: string;
  /**
   * Default: the runner test image (harness/runner-image.ts), which has the runner's externals (node20) that the
   * controller copies into job containers (`copyExternals: true`, the chart's default) for JavaScript actions.
   */
  runnerImage?: string;
  /** Default: the hooks test image (harness/hooks-image.ts), built on the engine; a simulation passes any name. */
  hooksImage?: string;
  /** Which queued job an idle runner gets from the emulator (default `oldest-first`). */
  assignmentOrder?: AssignmentOrder;
  /**
   * How the controller authenticates: `token` (a PAT, the default) or `app` — a GitHub App installed on the
   * repository's owner: the controller gets the App id, installation id and private key (env
   * GITHUB_APP_PRIVATE_KEY) and logs in through @octokit/auth-app; the emulator knows only the public key and
   * accepts no PAT at all.
   */
  githubAuth?: 'token' | 'app';
  /**
   * Hand out workload pods (issue #18): the controller listens on every address and the runner pods reach it on
   * the pod network's gateway (the host).
   */
  workloads?: boolean;
  /** Controller processes (default 1). */
  replicas?: number;
  /** Extra environment of the controller processes (e.g. the ECI credentials of the image-cache autopilot). */
  env?: Record<string, string>;
}

export class ControllerStack {
  readonly emulator: GitHubEmulator;
  /** The App's key pair in `app` mode. */
  readonly appKeys: AppKeyPair | undefined;
  private readonly children: (ChildProcess | undefined)[] = [];
  /** Each replica's port; `port` is the first's. */
  ports: number[] = [];
  port = 0;
  configFile = '';
  historyFile = '';
  logFile = '';
  /** With more than one replica: the Service-like front the webhooks and `url` go through. */
  front: RoundRobinFront | undefined;

  constructor(readonly opts: ControllerStackOptions) {
    const app = opts.githubAuth === 'app';
    this.emulator = new GitHubEmulator({
      ...(app ? {} : { token: GITHUB_TOKEN }),
      webhookSecret: WEBHOOK_SECRET,
      runnerHost: podHostAddress,
      ...(opts.assignmentOrder ? { assignmentOrder: opts.assignmentOrder } : {}),
    });
    if (app) {
      this.appKeys = createAppKeyPair();
      this.emulator.registerApp({
        appId: APP_ID,
        publicKey: this.appKeys.publicKey,
        installation: { id: INSTALLATION_ID, account: opts.repo.split('/')[0]! },
      });
    }
  }

  get replicas(): number {
    return this.opts.replicas ?? 1;
  }

  get url(): string {
    return this.front ? this.front.url : this.replicaUrl(0);
  }

  replicaUrl(i: number): string {
    return `http://127.0.0.1:${this.ports[i]}`;
  }

  /** A replica's log file (replica 0's is `logFile`). */
  replicaLog(i: number): string {
    return i === 0 ? this.logFile : this.logFile.replace(/\.log$/, `-${i}.log`);
  }

  async start(): Promise<void> {
    const hooksImage = this.opts.hooksImage ?? (await ensureTestHooksImage());
    const runnerImage = this.opts.runnerImage ?? (await ensureTestRunnerImage());
    await this.emulator.start();
    for (let i = 0; i < this.replicas; i++) this.ports.push(await freePort());
    this.port = this.ports[0]!;
    if (this.replicas > 1) {
      this.front = new RoundRobinFront(() => this.ports);
      await this.front.start();
    }
    this.emulator.webhookUrl = `${this.url}/webhook`;
    const dir = join(localDir, 'test-logs');
    mkdirSync(dir, { recursive: true });
    this.configFile = join(dir, `controller-${this.opts.namespace}.yaml`);
    this.logFile = join(dir, `controller-${this.opts.namespace}.log`);
    // The job history (SQLite, the default driver): fresh for each stack, kept across restarts of its controllers.
    this.historyFile = join(dir, `history-${this.opts.namespace}.db`);
    for (const f of [this.historyFile, `${this.historyFile}-journal`, `${this.historyFile}.lock`])
      rmSync(f, { recursive: true, force: true });
    writeFileSync(
      this.configFile,
      stringify({
        github: {
          apiUrl: this.emulator.url,
          ...(this.appKeys ? { appId: APP_ID, installationId: INSTALLATION_ID } : {}),
        },
        scope: { repositories: [this.opts.repo] },
        labels: ['eci-virtual'],
        namespace: this.opts.namespace,
        maxConcurrentJobs: this.opts.maxConcurrentJobs ?? 20,
        pollIntervalSeconds: this.opts.pollIntervalSeconds ?? 2,
        gcIntervalSeconds: 5,
        runner: {
          image: runnerImage,
          command: ['node', '/home/runner/eci-hooks/runner-stand-in.js'],
          hooksImage,
          copyExternals: true,
        },
        placement: { cpu: '500m', memory: '512Mi', nodeSelector: { 'kubernetes.io/hostname': this.opts.nodeName } },
        listen: { host: this.opts.workloads ? '0.0.0.0' : '127.0.0.1', port: this.port },
        ...(this.opts.workloads ? { workloads: { controllerUrl: `http://${podHostAddress}:${this.port}` } } : {}),
        history: { sqlite: { path: this.historyFile } },
        ...(this.opts.extraConfig ?? {}),
      }),
    );
    for (let i = 0; i < this.replicas; i++) this.spawn(i);
    for (let i = 0; i < this.replicas; i++) await this.waitReady(20_000, i);
  }

  spawn(i = 0): void {
    const kubeconfig = this.opts.kubeconfig ?? readTestEnv().kubeconfig;
    const out = createWriteStream(this.replicaLog(i), { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        ...profileFlags(),
        bundlePath,
        'controller',
        '--config',
        this.configFile,
        '--kubeconfig',
        kubeconfig,
        '--port',
        String(this.ports[i]),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...(this.appKeys ? { GITHUB_APP_PRIVATE_KEY: this.appKeys.privateKey } : { GITHUB_TOKEN }),
          ECI_VIRTUAL_WEBHOOK_SECRET: WEBHOOK_SECRET,
          ECI_VIRTUAL_PORTAL_TOKEN: PORTAL_TOKEN,
          ECI_VIRTUAL_LOG_LEVEL: 'debug',
          // The leader-election identity: stable per replica, as a pod's name is across container restarts.
          POD_NAME: `${this.opts.namespace}-${i}`,
          ...(this.opts.env ?? {}),
        },
      },
    );
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    this.children[i] = child;
  }

  async waitReady(timeoutMs = 20_000, i = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const child = this.children[i];
    while (Date.now() < deadline) {
      if (child && child.exitCode !== null)
        throw new Error(`controller ${i} exited (${child.exitCode}); see ${this.replicaLog(i)}`);
      const ok = await fetch(`${this.replicaUrl(i)}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(100);
    }
    throw new Error(`controller ${i} not ready after ${timeoutMs} ms; see ${this.replicaLog(i)}`);
  }

  /** Whether replica `i` says it leads (`eci_virtual_controller_leader 1`); false when it does not answer. */
  async isLeader(i: number): Promise<boolean> {
    const text = await fetch(`${this.replicaUrl(i)}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    return /^eci_virtual_controller_leader 1$/m.test(text);
  }

  /** The index of the leading replica, waiting up to `timeoutMs` for one. */
  async leader(timeoutMs = 30_000, among = [...this.ports.keys()]): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const i of among) if (this.alive(i) && (await this.isLeader(i))) return i;
      await sleep(100);
    }
    throw new Error(`no controller replica leads after ${timeoutMs} ms`);
  }

  /** Replica `i`'s process id (undefined before it is spawned). */
  pid(i = 0): number | undefined {
    return this.children[i]?.pid;
  }

  alive(i: number): boolean {
    const c = this.children[i];
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /** SIGKILL, as in a crash. */
  async kill(i = 0): Promise<void> {
    const c = this.children[i];
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c && c.exitCode === null && c.signalCode === null) {
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          await Promise.race([exited, sleep(10_000)]);
          if (c.exitCode === null) c.kill('SIGKILL');
        }
      }),
    );
    await this.front?.stop();
    await this.emulator.stop();
  }

  portal(path: string, token = PORTAL_TOKEN): Promise<Response> {
    return fetch(`${this.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  }
}
