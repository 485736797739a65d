/**
 * A GitHub emulator plus a real `eci-virtual controller` process pointed at it, serving one repository into one
 * test namespace, with job pods pinned to the suite's virtual node. The controller can be killed and restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { bundlePath, freePort } from '../../scripts/lib/node-process.js';
import { localDir, podHostAddress } from '../../scripts/lib/paths.js';
import { createAppKeyPair, type AppKeyPair } from '../github-emulator/app-key.js';
import { GitHubEmulator } from '../github-emulator/server.js';
import type { AssignmentOrder } from '../github-emulator/state.js';
import { readTestEnv } from './env.js';
import { ensureTestHooksImage } from './hooks-image.js';
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
  /** Which queued job an idle runner gets from the emulator (default `oldest-first`). */
  assignmentOrder?: AssignmentOrder;
  /**
   * How the controller authenticates: `token` (a PAT, the default) or `app` — a GitHub App installed on the
   * repository's owner: the controller gets the App id, installation id and private key (env
   * GITHUB_APP_PRIVATE_KEY) and logs in through @octokit/auth-app; the emulator knows only the public key and
   * accepts no PAT at all.
   */
  githubAuth?: 'token' | 'app';
}

export class ControllerStack {
  readonly emulator: GitHubEmulator;
  /** The App's key pair in `app` mode. */
  readonly appKeys: AppKeyPair | undefined;
  private child: ChildProcess | undefined;
  port = 0;
  configFile = '';
  logFile = '';

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

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const hooksImage = await ensureTestHooksImage();
    const runnerImage = this.opts.runnerImage ?? (await ensureTestRunnerImage());
    await this.emulator.start();
    this.port = await freePort();
    this.emulator.webhookUrl = `${this.url}/webhook`;
    const dir = join(localDir, 'test-logs');
    mkdirSync(dir, { recursive: true });
    this.configFile = join(dir, `controller-${this.opts.namespace}.yaml`);
    this.logFile = join(dir, `controller-${this.opts.namespace}.log`);
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
        listen: { host: '127.0.0.1', port: this.port },
        ...(this.opts.extraConfig ?? {}),
      }),
    );
    this.spawn();
    await this.waitReady();
  }

  spawn(): void {
    const kubeconfig = this.opts.kubeconfig ?? readTestEnv().kubeconfig;
    const out = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(
      process.execPath,
      [bundlePath, 'controller', '--config', this.configFile, '--kubeconfig', kubeconfig],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...(this.appKeys ? { GITHUB_APP_PRIVATE_KEY: this.appKeys.privateKey } : { GITHUB_TOKEN }),
          ECI_VIRTUAL_WEBHOOK_SECRET: WEBHOOK_SECRET,
          ECI_VIRTUAL_PORTAL_TOKEN: PORTAL_TOKEN,
          ECI_VIRTUAL_LOG_LEVEL: 'debug',
        },
      },
    );
    this.child.stdout?.pipe(out);
    this.child.stderr?.pipe(out);
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child && this.child.exitCode !== null)
        throw new Error(`controller exited (${this.child.exitCode}); see ${this.logFile}`);
      const ok = await fetch(`${this.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(100);
    }
    throw new Error(`controller not ready after ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** SIGKILL, as in a crash. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (c.exitCode === null) c.kill('SIGKILL');
    }
    await this.emulator.stop();
  }

  portal(path: string, token = PORTAL_TOKEN): Promise<Response> {
    return fetch(`${this.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  }
}
