/**
 * Runs an agent as a child process on this machine, laid out as in a pod (installed copy + token, socket, state
 * dir under one directory): for the agent's tests and benchmark, and for anything that wants steps run locally
 * through the same protocol. `install` runs first, exactly as the pod's init container does.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Timeout, Unavailable } from '@eci-virtual/contract';
import { AgentClient, type AgentClientSettings } from './client.js';

const run = promisify(execFile);

export interface LocalAgentOptions {
  /** The built agent (runner/scripts/lib/agent-build.ts `ensureAgent()`). */
  binary: string;
  /** Holds install/, sock/<name>.sock and state/<name>/; keep it short (a socket path has at most 107 bytes). */
  dir: string;
  /** Container name (socket and state dir names). Default `job`. */
  name?: string;
  /** The agent's own environment (the container's). Default: just this process's PATH. */
  env?: Record<string, string>;
  hold?: boolean;
  /** The main process's argv (after `--`). */
  argv?: string[];
  /** More `serve` flags, e.g. ['--max-steps', '2']. */
  flags?: string[];
  readyTimeoutMs?: number;
}

export interface LocalAgent {
  socketPath: string;
  tokenFile: string;
  stateDir: string;
  token: string;
  child: ChildProcess;
  /** Resolves with the agent's exit code (128+signo when a signal killed it). */
  exited: Promise<number>;
  /** What the agent wrote so far (stdout: its main process's output; stderr: its JSON log lines). */
  stdout(): string;
  stderr(): string;
  client(opts?: Partial<AgentClientSettings>): AgentClient;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

export async function startLocalAgent(opts: LocalAgentOptions): Promise<LocalAgent> {
  const name = opts.name ?? 'job';
  const installDir = join(opts.dir, 'install');
  await run(opts.binary, ['install', installDir], { env: {} });
  const binary = join(installDir, 'eci-agent');
  const tokenFile = join(installDir, 'token');
  const socketPath = join(opts.dir, 'sock', `${name}.sock`);
  const stateDir = join(opts.dir, 'state', name);
  const args = ['serve', '--socket', socketPath, '--token-file', tokenFile, '--state-dir', stateDir];
  if (opts.hold) args.push('--hold');
  args.push(...(opts.flags ?? []));
  if (opts.argv) args.push('--', ...opts.argv);
  const child = spawn(binary, args, {
    env: opts.env ?? { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0))),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const token = readFileSync(tokenFile, 'utf8').trim();
  const agent: LocalAgent = {
    socketPath,
    tokenFile,
    stateDir,
    token,
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    client: (o) => new AgentClient({ socketPath, token, ...o }),
    stop: async () => {
      if (!gone) child.kill('SIGTERM');
      return exited;
    },
  };
  const probe = agent.client();
  try {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
    while (!(await probe.health())) {
      if (gone) throw new Unavailable(`the agent exited before serving: ${err.trim().split('\n').pop() ?? ''}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Timeout(`the agent did not answer on ${socketPath}`);
      }
      await sleep(5);
    }
  } finally {
    probe.close();
  }
  return agent;
}
