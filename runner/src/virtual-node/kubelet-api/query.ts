/** Query parsing for the kubelet API, with clear 400s for bad values. */
import { InvalidInput } from '@eci-virtual/contract';
import type { LogOptions } from '../backends/backend.js';

const bool = (v: string | null) => v === 'true' || v === '1';

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidInput(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

export function logOptions(q: URLSearchParams): LogOptions {
  const sinceTime = q.get('sinceTime');
  const since = sinceTime ? new Date(sinceTime) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new InvalidInput(`sinceTime must be RFC 3339, got "${sinceTime}"`);
  const tailLines = int(q, 'tailLines');
  const sinceSeconds = int(q, 'sinceSeconds');
  const limitBytes = int(q, 'limitBytes');
  return {
    follow: bool(q.get('follow')),
    timestamps: bool(q.get('timestamps')),
    previous: bool(q.get('previous')),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
    ...(since ? { sinceTime: since } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
}

export interface StreamRequest {
  namespace: string;
  pod: string;
  uid?: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** `/exec|attach/{ns}/{pod}[/{uid}]/{container}?command=..&input=1&output=1&error=1&tty=0` */
export function streamRequest(segments: string[], q: URLSearchParams): StreamRequest {
  const [namespace, pod, a, b] = segments;
  if (!namespace || !pod || !a) throw new InvalidInput('expected /{namespace}/{pod}/{container}');
  const stdin = bool(q.get('input') ?? q.get('stdin'));
  const stdout = bool(q.get('output') ?? q.get('stdout'));
  const stderr = bool(q.get('error') ?? q.get('stderr'));
  const tty = bool(q.get('tty'));
  return {
    namespace,
    pod,
    ...(b ? { uid: a } : {}),
    container: b ?? a,
    command: q.getAll('command'),
    stdin,
    stdout,
    stderr: stderr && !tty, // with a tty, stderr is merged into stdout
    tty,
  };
}
