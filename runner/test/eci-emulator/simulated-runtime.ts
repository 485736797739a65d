/**
 * A GroupRuntime with no processes at all, for fleet simulations (`yarn bench fleet`): a group's init containers
 * end at once with exit 0, its app containers are Running from `start` until the simulation ends them (`finish`) or
 * the group is deleted. The emulator's own lifecycle (groups.ts) still takes the group through the published states
 * (Scheduling → Pending → Running → Succeeded/Failed) with its scheduling and pull delays; this runtime only stands
 * for what would run inside. `onStart` tells the simulation a group's containers are up (e.g. so a simulated runner
 * can take its job). No timer or poll per group: memory is one small record per group.
 */
import type { GroupRuntime, LogLine, RuntimeContainerStatus, RuntimeGroup, RuntimeGroupStatus } from './runtime.js';

interface SimulatedGroup {
  spec: RuntimeGroup;
  startTime?: Date;
  finishTime?: Date;
  exitCode?: number;
  ip: string;
  /** The status last built, until the group starts or finishes: the same object, so a poller sees nothing changed. */
  view?: RuntimeGroupStatus;
}

export class SimulatedRuntime implements GroupRuntime {
  private readonly groups = new Map<string, SimulatedGroup>();
  private nextIp = 2;

  /** `onStart`: called once per group when its app containers start (after its init containers). */
  constructor(private readonly onStart: (group: RuntimeGroup) => void = () => undefined) {}

  get size(): number {
    return this.groups.size;
  }

  async create(group: RuntimeGroup): Promise<void> {
    if (this.groups.has(group.id)) return;
    const n = this.nextIp++;
    this.groups.set(group.id, { spec: group, ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` });
  }

  async start(groupId: string): Promise<void> {
    const g = this.groups.get(groupId);
    if (!g) throw new Error(`no such group ${groupId}`);
    if (g.startTime) return;
    g.startTime = new Date();
    delete g.view;
    this.onStart(g.spec);
  }

  /** The simulation ends the group's app containers with `exitCode` (the group then turns Succeeded or Failed). */
  finish(groupId: string, exitCode: number): void {
    const g = this.groups.get(groupId);
    if (!g || g.finishTime) return;
    g.finishTime = new Date();
    g.exitCode = exitCode;
    delete g.view;
  }

  async delete(groupId: string): Promise<void> {
    this.groups.delete(groupId);
  }

  async status(groupId: string): Promise<RuntimeGroupStatus | undefined> {
    const g = this.groups.get(groupId);
    if (!g) return undefined;
    if (g.view) return g.view;
    const started = g.startTime;
    const init = (name: string): RuntimeContainerStatus =>
      started
        ? {
            name,
            state: 'Terminated',
            exitCode: 0,
            reason: 'Completed',
            startTime: started,
            finishTime: started,
            restartCount: 0,
          }
        : { name, state: 'Waiting', reason: 'PodInitializing', restartCount: 0 };
    const app = (name: string): RuntimeContainerStatus => {
      if (!started) return { name, state: 'Waiting', reason: 'ContainerCreating', restartCount: 0 };
      if (!g.finishTime) return { name, state: 'Running', startTime: started, restartCount: 0 };
      return {
        name,
        state: 'Terminated',
        exitCode: g.exitCode!,
        reason: g.exitCode === 0 ? 'Completed' : 'Error',
        startTime: started,
        finishTime: g.finishTime,
        restartCount: 0,
      };
    };
    g.view = {
      initContainers: g.spec.initContainers.map((c) => init(c.name)),
      containers: g.spec.containers.map((c) => app(c.name)),
      ip: g.ip,
    };
    return g.view;
  }

  async logs(): Promise<LogLine[]> {
    return [];
  }

  async exec(): Promise<number> {
    throw new Error('a simulated group runs no processes: exec is not available');
  }
}
