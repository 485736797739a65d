/**
 * What the integration global setup brought up, shared with the test files through a JSON file (jest runs global
 * setup in another context than the tests, so module state does not carry over).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageName } from '../../scripts/images/index.js';
import { localDir } from '../../scripts/lib/paths.js';

export interface TestEnv {
  kubeconfig: string;
  server: string;
  kubectl: string;
  kubeVersion: string;
  /** The container engine for the docker backend and the test images in the local registry. */
  engine: {
    dockerHost: string;
    registry: string;
    /** The registry as pods reach it (bridge gateway), for in-pod builds. */
    podRegistry: string;
    images: Record<ImageName, string>;
  };
  /** Components the setup started itself, which teardown stops again. */
  startedHere: { cluster: boolean; engine: boolean };
}

export const testEnvFile = join(localDir, 'test-env.json');

export function readTestEnv(): TestEnv {
  return JSON.parse(readFileSync(testEnvFile, 'utf8')) as TestEnv;
}
