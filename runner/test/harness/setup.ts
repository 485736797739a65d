/**
 * Brings the real control plane up once per test run, or reuses a running one (then teardown leaves it running).
 * ECI_VIRTUAL_KEEP=1 keeps what this run started, for fast local iterations.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildBundle } from '../../scripts/lib/bundle.js';
import { clusterStatus, ensureCluster, KUBE_VERSION } from '../../scripts/lib/cluster.js';
import { testEnvFile, type TestEnv } from './env.js';

export async function globalSetup(): Promise<void> {
  await buildBundle();
  const wasRunning = (await clusterStatus()).every((c) => c.healthy);
  const cluster = await ensureCluster((msg) => process.stderr.write(`[global-setup] ${msg}\n`));
  const env: TestEnv = {
    kubeconfig: cluster.kubeconfig,
    server: cluster.server,
    kubectl: cluster.kubectl,
    kubeVersion: KUBE_VERSION,
    engine: JSON.parse(readFileSync(process.env.ECI_VIRTUAL_ENGINE_ENV ?? '', 'utf8')) as TestEnv['engine'],
    startedHere: { cluster: !wasRunning },
  };
  mkdirSync(dirname(testEnvFile), { recursive: true });
  writeFileSync(testEnvFile, JSON.stringify(env, null, 2));
  process.env.KUBECONFIG = cluster.kubeconfig;
}
