/**
 * The seeded fault injector: at random points (a seeded PRNG decides which fault, when and for how long) it kills
 * the leading controller replica with SIGKILL and starts it again, kills the virtual node with SIGKILL and restarts
 * it, stops kube-apiserver (or, once, etcd) for a few seconds, cuts every API connection of the controllers and the
 * node mid-stream, makes the GitHub emulator answer 5xx and 429 with `retry-after`, drops 20 % of the webhooks for a
 * while, and restarts the container engine's API service. On `--backend eci` (the ECI emulator) also: a throttling
 * storm — every action the emulator serves answers ECI's flow-control error for a seeded 5–20 s window — and a
 * server-error window (every action answers 500 InternalError or 503 ServiceUnavailable). One fault at a time, each
 * recorded with when it ended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClients } from '../../src/kube/client.js';
import type { NodeProcess } from '../../scripts/lib/node-process.js';
import { serverError, throttled, type ApiError } from '../eci-emulator/api-error.js';
import type { EciEmulator } from '../eci-emulator/server.js';
import { seededRandom } from '../seeded-random.js';
import type { ControllerStack } from '../harness/controller-stack.js';
import type { CutProxy } from './cut-proxy.js';

export const FAULT_KINDS = [
  'kill-leader',
  'kill-node',
  'apiserver-down',
  'etcd-down',
  'cut-api',
  'github-5xx',
  'github-429',
  'drop-webhooks',
  'engine-restart',
  'eci-throttle',
  'eci-5xx',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The kinds that need the ECI emulator (a run on `--backend eci`). */
export const ECI_FAULT_KINDS: readonly FaultKind[] = ['eci-throttle', 'eci-5xx'];

/** The kinds a run on `backend` can inject. */
export const faultKindsFor = (backend: 'docker' | 'eci'): FaultKind[] =>
  FAULT_KINDS.filter((k) => backend === 'eci' || !ECI_FAULT_KINDS.includes(k));

/** What the ECI faults act on: the emulator's served actions, its fault injection and its call record. */
export type EciFaultTarget = Pick<EciEmulator, 'actions' | 'injectFault' | 'clearFaults' | 'calls'>;

/** What the injector acts on. */
export interface FaultTargets {
  stack: ControllerStack;
  node: NodeProcess;
  /** Straight to the API server (not through the proxy). */
  kube: KubeClients;
  proxy: CutProxy;
  stopApiComponent: (c: 'kube-apiserver' | 'etcd') => Promise<unknown>;
  /** Starts whatever control-plane component is down and waits until all are healthy. */
  healCluster: () => Promise<unknown>;
  stopEngineApi: () => Promise<unknown>;
  startEngineApi: () => Promise<unknown>;
  /** The ECI emulator the node runs against (a run on `--backend eci`; the `eci-*` kinds need it). */
  eci?: EciFaultTarget;
}

export interface FaultRecord {
  kind: FaultKind;
  detail: string;
  startedAt: number;
  endedAt: number;
}

export interface InjectorOptions {
  kinds: FaultKind[];
  /** Pause between two faults, ms. */
  gapMs: [number, number];
  /** How long kube-apiserver (or etcd) stays down, ms. */
  downMs: [number, number];
  /** How long webhooks are dropped, ms. */
  dropMs: [number, number];
  /** How long an ECI throttling storm or server-error window lasts, ms (default 5–20 s). */
  eciWindowMs?: [number, number];
}

type Rand = () => number;

export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private etcdDone = false;
  private stopping = false;

  constructor(
    private readonly rand: Rand,
    private readonly t: FaultTargets,
    private readonly opts: InjectorOptions,
    private readonly log: (msg: string) => void,
  ) {
    const needEci = opts.kinds.filter((k) => ECI_FAULT_KINDS.includes(k));
    if (needEci.length && !t.eci) throw new Error(`${needEci.join(', ')} need the ECI emulator (--backend eci)`);
  }

  private between([lo, hi]: [number, number]): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  private nextKind(): FaultKind {
    const kinds = this.opts.kinds.filter((k) => k !== 'etcd-down' || !this.etcdDone);
    return kinds[Math.floor(this.rand() * kinds.length)]!;
  }

  /** Injects faults until `done()` says the workload is finished (or `stop()`). */
  async run(done: () => boolean): Promise<void> {
    while (!this.stopping && !done()) {
      const gap = this.between(this.opts.gapMs);
      const wakeAt = Date.now() + gap;
      while (Date.now() < wakeAt && !this.stopping && !done()) await sleep(200);
      if (this.stopping || done()) break;
      const kind = this.nextKind();
      const startedAt = Date.now();
      let detail = '';
      try {
        detail = await this.inject(kind);
      } catch (err) {
        detail = `injection failed: ${(err as Error).message}`;
        // Whatever happened, leave nothing broken behind.
        await this.heal();
      }
      const rec = { kind, detail, startedAt, endedAt: Date.now() };
      this.records.push(rec);
      this.log(`fault ${this.records.length}: ${kind} ${detail} (${((rec.endedAt - startedAt) / 1000).toFixed(1)} s)`);
    }
  }

  stop(): void {
    this.stopping = true;
  }

  /** Everything up again: both replicas, the node, the control plane, the engine, webhooks delivered. */
  async heal(): Promise<void> {
    this.t.stack.emulator.webhooks.drop = undefined;
    this.t.eci?.clearFaults();
    await this.t.healCluster();
    await this.t.startEngineApi();
    if (!this.t.node.running) {
      this.t.node.start();
      await this.t.node.waitReady(this.t.kube, new Date(), 120_000);
    }
    for (let i = 0; i < this.t.stack.replicas; i++)
      if (!this.t.stack.alive(i)) {
        this.t.stack.spawn(i);
        await this.t.stack.waitReady(60_000, i);
      }
  }

  private async inject(kind: FaultKind): Promise<string> {
    const { stack, node, kube, proxy } = this.t;
    switch (kind) {
      case 'kill-leader': {
        const leader = await stack.leader(60_000);
        const killedAt = Date.now();
        await stack.kill(leader);
        await sleep(this.between([500, 3000]));
        stack.spawn(leader);
        await stack.waitReady(60_000, leader);
        const now = await stack.leader(60_000);
        return `replica ${leader} killed; replica ${now} leads ${((Date.now() - killedAt) / 1000).toFixed(1)} s later`;
      }
      case 'kill-node': {
        await node.kill();
        await sleep(this.between([1000, 4000]));
        const since = new Date();
        node.start();
        await node.waitReady(kube, since, 120_000);
        return 'node killed and restarted';
      }
      case 'apiserver-down':
      case 'etcd-down': {
        const component = kind === 'etcd-down' ? 'etcd' : 'kube-apiserver';
        if (kind === 'etcd-down') this.etcdDone = true;
        const down = this.between(this.opts.downMs);
        await this.t.stopApiComponent(component);
        await sleep(down);
        await this.t.healCluster();
        return `${component} down ${(down / 1000).toFixed(1)} s`;
      }
      case 'cut-api': {
        let cut = 0;
        const times = this.between([1, 4]);
        for (let i = 0; i < times; i++) {
          cut += proxy.cut();
          await sleep(this.between([200, 1500]));
        }
        return `${cut} API connections cut (${times} times)`;
      }
      case 'github-5xx': {
        const status = [500, 502, 503][Math.floor(this.rand() * 3)]!;
        const count = this.between([3, 15]);
        stack.emulator.inject({ kind: 'status', status }, count);
        return `${count} × ${status}`;
      }
      case 'github-429': {
        const retryAfterSeconds = this.between([1, 5]);
        const count = this.between([2, 8]);
        stack.emulator.inject({ kind: 'secondaryRateLimit', status: 429, retryAfterSeconds }, count);
        return `${count} × 429 retry-after ${retryAfterSeconds}`;
      }
      case 'drop-webhooks': {
        const ms = this.between(this.opts.dropMs);
        let dropped = 0;
        // A generator of its own: deliveries come at times the seed does not decide.
        const drop = seededRandom(Math.floor(this.rand() * 2 ** 32));
        stack.emulator.webhooks.drop = () => drop() < 0.2 && ++dropped > 0;
        await sleep(ms);
        stack.emulator.webhooks.drop = undefined;
        return `20 % of webhooks dropped for ${(ms / 1000).toFixed(1)} s (${dropped} lost)`;
      }
      case 'engine-restart': {
        await this.t.stopEngineApi();
        await sleep(this.between([500, 3000]));
        await this.t.startEngineApi();
        return 'podman API service restarted';
      }
      case 'eci-throttle':
        return this.eciWindow(throttled());
      case 'eci-5xx':
        return this.eciWindow(serverError(this.rand() < 0.5 ? 500 : 503));
    }
  }

  /** Every action the ECI emulator serves answers `err` for a seeded window; waits it out. */
  private async eciWindow(err: ApiError): Promise<string> {
    const eci = this.t.eci!;
    const ms = this.between(this.opts.eciWindowMs ?? [5_000, 20_000]);
    const from = Date.now();
    const actions = eci.actions;
    for (const action of actions)
      eci.injectFault({ action, forMs: ms, code: err.code, status: err.status, message: err.message });
    await sleep(ms);
    eci.clearFaults();
    const refused = eci.calls.filter((c) => c.at >= from && c.code === err.code).length;
    return `${actions.length} ECI actions answered ${err.status} ${err.code} for ${(ms / 1000).toFixed(1)} s (${refused} calls refused)`;
  }
}
