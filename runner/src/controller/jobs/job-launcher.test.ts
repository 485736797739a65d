import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Secret } from '@kubernetes/client-node';
import { GitHubEmulator } from '../../../test/github-emulator/server.js';
import type { KubeClients } from '../../kube/client.js';
import { createLogger } from '../../observability/logger.js';
import { parseControllerConfig } from '../config.js';
import { GitHubClient } from '../github/github-client.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { ensureJitSecret } from './job-launcher.js';

describe('JIT runner registration', () => {
  const emulator = new GitHubEmulator({ token: 't0k', webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
  beforeAll(() => emulator.start());
  afterAll(() => emulator.stop());

  function deps(secrets: Map<string, V1Secret>) {
    const notFound = Object.assign(new Error('not found'), { code: 404 });
    const conflict = Object.assign(new Error('conflict'), { code: 409 });
    let version = 0;
    // As the API server: create refuses an existing name, replace a stale resourceVersion (optimistic locking).
    const stored = (body: V1Secret) => {
      const s = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
      secrets.set(body.metadata!.name!, s);
      return s;
    };
    const kube = {
      core: {
        readNamespacedSecret: async ({ name }: { name: string }) => {
          await Promise.resolve();
          const s = secrets.get(name);
          if (!s) throw notFound;
          return s;
        },
        createNamespacedSecret: async ({ body }: { body: V1Secret }) => {
          await Promise.resolve();
          if (secrets.has(body.metadata!.name!)) throw conflict;
          return stored(body);
        },
        replaceNamespacedSecret: async ({ name, body }: { name: string; body: V1Secret }) => {
          await Promise.resolve();
          const s = secrets.get(name);
          if (!s) throw notFound;
          if (body.metadata?.resourceVersion && body.metadata.resourceVersion !== s.metadata?.resourceVersion)
            throw conflict;
          return stored(body);
        },
        deleteNamespacedSecret: async ({ name }: { name: string }) => {
          secrets.delete(name);
          return {};
        },
      },
    } as unknown as KubeClients;
    const log = createLogger({}, { level: 'error', write: () => undefined });
    const config = parseControllerConfig(
      { scope: { repositories: ['o/r'] }, github: { apiUrl: emulator.url } },
      { GITHUB_TOKEN: 't0k', ECI_VIRTUAL_WEBHOOK_SECRET: 'w' },
    );
    const github = new GitHubClient({ apiUrl: emulator.url, auth: config.auth, log, retries: 0 });
    return { kube, github, config, log };
  }
  const job = { id: 4242, runId: 1, repo: 'o/r', labels: ['self-hosted', 'eci-virtual'] } as WorkflowJob;

  it('registers once, stores the JIT config in a Secret and reuses it', async () => {
    const secrets = new Map<string, V1Secret>();
    const d = deps(secrets);
    const id = await ensureJitSecret(d, job);
    expect(secrets.get('eci-job-4242-jit')?.stringData?.jitconfig).toBeTruthy();
    expect(await ensureJitSecret(d, job)).toBe(id);
    expect(emulator.registeredRunners.filter((n) => n === 'eci-virtual-4242')).toHaveLength(1);
  });

  it('registers one runner when two launches of a slot run at once (two leader terms overlapping)', async () => {
    const secrets = new Map<string, V1Secret>();
    const d = deps(secrets);
    const both = { ...job, id: 4444 } as WorkflowJob;
    const [a, b] = await Promise.all([ensureJitSecret(d, both), ensureJitSecret(d, both)]);
    expect(a).toBe(b);
    const runners = await d.github.listRunners(d.config.runnerScope);
    // The one registered runner is the one the Secret (and so the pod) holds.
    expect(runners.filter((r) => r.name === 'eci-virtual-4444').map((r) => r.id)).toEqual([a]);
    expect(secrets.get('eci-job-4444-jit')?.metadata?.annotations?.['eci-virtual.dev/runner-id']).toBe(String(a));
  });

  it('replaces a runner left registered by a crash before its Secret was written', async () => {
    const secrets = new Map<string, V1Secret>();
    const d = deps(secrets);
    const crashed = { ...job, id: 4343 } as WorkflowJob;
    await d.github.generateJitConfig(d.config.runnerScope, {
      name: 'eci-virtual-4343',
      labels: ['eci-virtual'],
      runnerGroupId: 1,
      workFolder: '_work',
    });
    const id = await ensureJitSecret(d, crashed);
    const runners = await d.github.listRunners(d.config.runnerScope);
    expect(runners.filter((r) => r.name === 'eci-virtual-4343').map((r) => r.id)).toEqual([id]);
  });
});
