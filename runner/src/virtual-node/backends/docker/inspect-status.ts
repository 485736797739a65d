/** Engine `inspect` output → container runtime state (pure). */
import type { ContainerRuntimeState } from '../backend.js';

export interface ContainerInspect {
  Id: string;
  Name?: string;
  Image?: string;
  Config?: { Image?: string; Labels?: Record<string, string> };
  State?: {
    Status?: string;
    Running?: boolean;
    Restarting?: boolean;
    ExitCode?: number;
    Error?: string;
    OOMKilled?: boolean;
    StartedAt?: string;
    FinishedAt?: string;
  };
  RestartCount?: number;
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> };
}

const time = (s: string | undefined): Date | undefined => {
  if (!s || s.startsWith('0001-01-01')) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

export function runtimeState(
  name: string,
  image: string,
  inspect: ContainerInspect | undefined,
): ContainerRuntimeState {
  if (!inspect) return { name, image, state: 'waiting', reason: 'ContainerCreating', restartCount: 0 };
  const s = inspect.State ?? {};
  const base = {
    name,
    image,
    ...(inspect.Image ? { imageID: inspect.Image } : {}),
    containerID: `docker://${inspect.Id}`,
    restartCount: inspect.RestartCount ?? 0,
  };
  const startedAt = time(s.StartedAt);
  const finishedAt = time(s.FinishedAt);
  if (s.Running || s.Status === 'running' || s.Restarting) {
    return { ...base, state: 'running', ...(startedAt ? { startedAt } : {}) };
  }
  if (s.Status === 'exited' || s.Status === 'dead' || s.Status === 'stopped' || (s.Status === 'created' && s.Error)) {
    // A container that could not start (bad command, missing binary) reports its error here, not an exit code.
    const startError = s.Error ? s.Error : undefined;
    const exitCode = s.ExitCode ?? (startError ? 128 : 0);
    return {
      ...base,
      state: 'terminated',
      exitCode: startError && exitCode === 0 ? 128 : exitCode,
      reason: s.OOMKilled ? 'OOMKilled' : startError ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error',
      ...(startError ? { message: startError } : {}),
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt ? { finishedAt } : {}),
    };
  }
  return { ...base, state: 'waiting', reason: s.Status === 'created' ? 'ContainerCreating' : (s.Status ?? 'Unknown') };
}

export function podIP(inspect: ContainerInspect | undefined): string | undefined {
  const ns = inspect?.NetworkSettings;
  if (ns?.IPAddress) return ns.IPAddress;
  for (const n of Object.values(ns?.Networks ?? {})) if (n.IPAddress) return n.IPAddress;
  return undefined;
}
