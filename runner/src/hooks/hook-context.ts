/**
 * What every hook command needs: the API clients (in-cluster identity of the job), its pod, the step agents of the
 * pod's containers (reached on the shared workspace under the runner's work folder), the Kubernetes exec transport
 * (only for pods without agents), where output goes and where cancel signals come from.
 *
 * The API clients are loaded on first use: @kubernetes/client-node is most of a hook process's start-up (~100 ms of
 * module loading here), and a script step through an agent makes no API call at all. Their reads retry what an API
 * server restart looks like (kube/retrying.ts) for up to two minutes instead of failing the job.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT, agentSocketPath, InvalidInput, UNIX_SOCKET_PATH_MAX, Unavailable } from '@eci-virtual/contract';
import type { KubeClients } from '../kube/client.js';
import type { ExecTransport } from '../kube/exec.js';
import { AgentClient } from '../step-transport/agent/client.js';

/** Where SIGINT/SIGTERM arrive from: the hook process, or a test's emitter. */
export type SignalSource = Pick<NodeJS.EventEmitter, 'on' | 'off'>;

export interface HookContext {
  /** The API clients, loaded on first call. */
  kube: () => Promise<KubeClients>;
  /** Kubernetes exec, for pods whose containers serve no agent (made by an older controller). */
  exec: () => Promise<ExecTransport>;
  pod: { namespace: string; name: string };
  /** The runner's work folder: the shared workspace, `/__w` in job containers. */
  workDir: string;
  /** A client of the step agent of `container` (the caller closes it). */
  agent: (container: string) => AgentClient;
  /** Where hook output goes (the runner shows it as the step log). */
  out: (chunk: Buffer | string) => void;
  signals: SignalSource;
}

export function hookContext(env: NodeJS.ProcessEnv = process.env): HookContext {
  const name = env.ECI_VIRTUAL_POD_NAME;
  const namespace = env.ECI_VIRTUAL_POD_NAMESPACE;
  if (!name || !namespace)
    throw new InvalidInput('ECI_VIRTUAL_POD_NAME/ECI_VIRTUAL_POD_NAMESPACE are not set', {
      hint: 'these hooks run only in runner pods created by the eci-virtual controller',
    });
  let kube: Promise<KubeClients> | undefined;
  // The hooks only read through `core` (their pod, a container's log): those reads ride out an API server restart.
  const loadKube = () =>
    (kube ??= Promise.all([import('../kube/client.js'), import('../kube/retrying.js')]).then(([m, r]) => {
      const clients = m.makeClients(m.loadKubeConfig());
      return { ...clients, core: r.retryingReads(clients.core) };
    }));
  const workDir = env.ECI_VIRTUAL_RUNNER_WORKDIR ?? '/home/runner/_work';
  let token: string | undefined;
  return {
    kube: loadKube,
    exec: async () => new (await import('../kube/exec.js')).KubeExec(await loadKube()),
    pod: { namespace, name },
    workDir,
    agent: (container) => {
      token ??= readToken(AGENT.token);
      return new AgentClient({ socketPath: reachableSocket(agentSocketPath(workDir, container)), token });
    },
    out: (c) => process.stdout.write(c),
    signals: process,
  };
}

export function readToken(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new Unavailable(`cannot read the step agents' token at ${path}: ${(err as Error).message}`, {
      hint: 'the controller mounts it into the runner container; the pod may come from an older controller',
    });
  }
}

/**
 * A unix socket address holds at most 107 bytes. A work folder long enough to push the socket's path past that is
 * reached through a short symlink in the temp directory (connect() follows links).
 */
export function reachableSocket(path: string, dir = tmpdir()): string {
  if (Buffer.byteLength(path) <= UNIX_SOCKET_PATH_MAX) return path;
  const link = join(dir, `eci-agent-${createHash('sha256').update(path).digest('hex').slice(0, 16)}.sock`);
  rmSync(link, { force: true });
  symlinkSync(path, link);
  return link;
}
