/**
 * `yarn cluster up|down|status|wipe` — the local Kubernetes control plane used by the demo and the integration tests.
 */
import { describeError } from '@eci-virtual/contract';
import { clusterStatus, ensureCluster, kubeconfigPath, KUBE_VERSION, stopCluster, wipeCluster } from './lib/cluster.js';
import { localDir } from './lib/paths.js';

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      const started = Date.now();
      const info = await ensureCluster();
      console.error(
        `Kubernetes ${KUBE_VERSION} control plane ready at ${info.server} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
      console.log(`export KUBECONFIG=${info.kubeconfig}`);
      console.log(`export PATH=${localDir}/bin:$PATH`);
      return 0;
    }
    case 'down': {
      const stopped = await stopCluster();
      console.error(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'wipe':
      await wipeCluster();
      console.error('cluster stopped and its state removed (binaries stay cached)');
      return 0;
    case 'status': {
      const status = await clusterStatus();
      for (const c of status) {
        const state = c.pid === undefined ? 'stopped' : c.healthy ? 'healthy' : 'unhealthy';
        console.log(`${c.name.padEnd(24)} ${state.padEnd(10)} ${c.pid === undefined ? '' : `pid ${c.pid}  `}${c.url}`);
      }
      console.log(`kubeconfig: ${kubeconfigPath}`);
      return status.every((c) => c.healthy) ? 0 : 1;
    }
    default:
      console.error('usage: yarn cluster up|down|status|wipe');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`error: ${describeError(err)}`);
    process.exit(1);
  },
);
