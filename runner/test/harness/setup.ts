/**
 * Brings the real control plane up once per test run, or reuses a running one (then teardown leaves it running).
 * ECI_VIRTUAL_KEEP=1 keeps what this run started, for fast local iterations.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { engineStatus, ensureEngine } from '../../scripts/lib/engine.js';
import { buildBundle } from '../../scripts/lib/bundle.js';
import { installDeps } from '../../scripts/lib/install-deps.js';
import { clusterStatus, ensureCluster, KUBE_VERSION } from '../../scripts/lib/cluster.js';
import { testEnvFile, type TestEnv } from './env.js';

export async function globalSetup(): Promise<void> {
  await installDeps();
  await buildBundle();
  const wasRunning = (await clusterStatus()).every((c) => c.healthy);
  const before = await engineStatus();
  const engineWasRunning = before.podman.healthy && before.registry.healthy;
  const engine = await ensureEngine();
  const cluster = await ensureCluster((msg) => process.stderr.write(`[global-setup] ${msg}\n`));
  const env: TestEnv = {
    kubeconfig: cluster.kubeconfig,
    server: cluster.server,
    kubectl: cluster.kubectl,
    kubeVersion: KUBE_VERSION,
    engine: {
      dockerHost: engine.dockerHost,
      registry: engine.registry,
      podRegistry: engine.podRegistry,
      images: engine.images,
    },
    startedHere: { cluster: !wasRunning, engine: !engineWasRunning },
  };
  mkdirSync(dirname(testEnvFile), { recursive: true });
  writeFileSync(testEnvFile, JSON.stringify(env, null, 2));
  process.env.KUBECONFIG = cluster.kubeconfig;
}
