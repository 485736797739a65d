/**
 * `yarn engine up|down|status|check` — the local container engine (Podman's Docker-compatible API + a local registry +
 * test images) behind the `docker` virtual-node backend. Progress goes to stderr; `up` prints only eval-able
 * `export` lines on stdout, so `eval "$(yarn engine up)"` points the shell at the engine.
 */
import { describeError } from '@eci-virtual/contract';
import { engineStatus, ensureEngine, readEngineEnv, stopEngine } from './lib/engine.js';
import { checkEngine } from './lib/engine-check.js';
import { layout } from './lib/engine-layout.js';

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function up(): Promise<number> {
  const started = Date.now();
  const env = await ensureEngine();
  console.error(`engine ready in ${seconds(started)}: podman API ${env.dockerHost}, registry ${env.registry}`);
  for (const [name, ref] of Object.entries(env.images)) console.error(`  image ${name.padEnd(8)} ${ref}`);
  console.log(`export DOCKER_HOST=${env.dockerHost}`);
  console.log(`export ECI_VIRTUAL_REGISTRY=${env.registry}`);
  return 0;
}

async function down(): Promise<number> {
  const report = await stopEngine();
  if (report.containers.length) console.error(`removed ${report.containers.length} container(s)`);
  if (report.killed.length) console.error(`killed stray podman helpers: pids ${report.killed.join(', ')}`);
  console.error(report.stopped.length ? `stopped ${report.stopped.join(', ')}` : 'nothing was running');
  if (report.left.length) {
    console.error(`error: podman could not remove container(s) ${report.left.join(', ')} (see ${layout.podmanLog})`);
    return 1;
  }
  return 0;
}

async function status(): Promise<number> {
  const s = await engineStatus();
  const state = (pid: number | undefined, healthy: boolean) =>
    pid === undefined ? 'stopped' : `${healthy ? 'running' : 'unhealthy'} (pid ${pid})`;
  console.log(`podman service  ${state(s.podman.pid, s.podman.healthy).padEnd(22)} unix://${s.podman.socket}`);
  console.log(`registry        ${state(s.registry.pid, s.registry.healthy).padEnd(22)} ${s.registry.address}`);
  for (const img of s.images) {
    const where = img.cached
      ? `cached, ${img.inRegistry ? 'in registry' : 'not in registry'}, ${img.inEngine ? 'in engine' : 'not in engine'}`
      : 'not built';
    console.log(`image ${img.name.padEnd(9)} ${where.padEnd(44)} ${img.reference} (recipe ${img.recipeHash})`);
  }
  console.log(`env file        ${s.envFile ?? '(none: run `yarn engine up`)'}`);
  return s.podman.healthy && s.registry.healthy ? 0 : 1;
}

async function check(): Promise<number> {
  const env = readEngineEnv();
  if (!env) {
    console.error('error: the engine is not up (no env.json); run `yarn engine up` first');
    return 1;
  }
  const results = await checkEngine(env.images.busybox);
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.ms} ms): ${r.detail}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      return up();
    case 'down':
      return down();
    case 'status':
      return status();
    case 'check':
      return check();
    default:
      console.error('usage: yarn engine up|down|status|check');
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
