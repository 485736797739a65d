/**
 * One virtual node on `--backend eci` against an ECI emulator whose runtime is simulated (no containers, no engine):
 * what the fleet simulation and the node-memory bench stand on. The emulator's quota leaves room for `pods` groups and
 * the node advertises capacity for them; images are only names to the simulation.
 */
import type { KubeClients } from '../../src/kube/client.js';
import {
  startNodeWithNamespace,
  stopNodeWithNamespace,
  type NodeWithNamespace,
} from '../../scripts/lib/node-with-namespace.js';
import { eciNodeFlags, randomAccessKey } from './on-engine.js';
import { EciEmulator } from './server.js';
import type { SimulatedRuntime } from './simulated-runtime.js';
import { delaysFor, DEFAULT_START_DELAYS, type StartDelayDistribution } from './start-delays.js';

export interface SimulatedEciNode {
  emu: EciEmulator;
  t: NodeWithNamespace;
}

export async function startSimulatedEciNode(o: {
  kube: KubeClients;
  kubeconfig: string;
  /** Names the node (`evk-<prefix>-…`) and its namespace. */
  prefix: string;
  pods: number;
  runtime: SimulatedRuntime;
  /** The pods' images (and the node's infra image): never pulled. */
  image: string;
  startDelays?: StartDelayDistribution;
  nodeEnv?: Record<string, string>;
}): Promise<SimulatedEciNode> {
  const key = randomAccessKey();
  const emu = new EciEmulator({
    runtime: o.runtime,
    accessKeys: { [key.id]: key.secret },
    delays: delaysFor(o.startDelays ?? DEFAULT_START_DELAYS),
    quota: o.pods + 200,
    refreshMs: 500,
  });
  await emu.start();
  const flags = eciNodeFlags(emu, key, o.prefix);
  const room = String(o.pods + 100);
  try {
    const t = await startNodeWithNamespace({
      kube: o.kube,
      prefix: o.prefix,
      kubeconfig: o.kubeconfig,
      // The node never talks to an engine on `--backend eci`.
      dockerHost: 'unix:///nonexistent/docker.sock',
      infraImage: o.image,
      extraArgs: [...flags.nodeArgs, '--pods', room, '--cpu', room, '--memory', `${room}Gi`],
      env: { ...flags.nodeEnv, ...o.nodeEnv },
    });
    return { emu, t };
  } catch (err) {
    await emu.stop();
    throw err;
  }
}

/** Stops the node (waiting for its pods to go, longer the more there were) and then the emulator. */
export async function stopSimulatedEciNode(s: SimulatedEciNode, pods: number): Promise<void> {
  await stopNodeWithNamespace(s.t, Math.max(120_000, pods * 300));
  await s.emu.stop();
}
