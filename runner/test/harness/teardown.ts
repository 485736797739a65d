import { stopCluster } from '../../scripts/lib/cluster.js';
import { stopEngine } from '../../scripts/lib/engine.js';
import { readTestEnv } from './env.js';

export async function globalTeardown(): Promise<void> {
  if (process.env.ECI_VIRTUAL_KEEP === '1') return;
  const env = readTestEnv();
  if (env.startedHere.cluster) await stopCluster();
  if (env.startedHere.engine) await stopEngine();
}
