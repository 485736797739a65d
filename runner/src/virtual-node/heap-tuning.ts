/**
 * V8 heap tuning the node applies at start. `--heap-growing-percent` (V8's default grows the old generation's limit
 * by up to 100 % after each major GC) set to 50 makes the heap grow in smaller steps, so a node holding many small
 * long-lived objects (pods, groups) collects before its heap doubles. Overridable with ECI_VIRTUAL_HEAP_GROWING_PERCENT
 * (a whole number 1–100; `0` or `off` leaves V8's default).
 */
import v8 from 'node:v8';
import { InvalidInput } from '@eci-virtual/contract';

export const DEFAULT_HEAP_GROWING_PERCENT = 50;

/**
 * Node.js options the node process is started with (the chart's `nodeDeployment.nodeOptions`, as `NODE_OPTIONS`; the
 * test harness the same): V8 reads the young generation's size when the heap is set up, so unlike the flags above it
 * cannot be changed from inside. V8's default lets each of the two semi-spaces grow to 16 MB, and a node busy with
 * many pods keeps them full: `yarn bench node-memory` measured 267 MB RSS at 1000 pods with the default and 211 MB
 * with 4 MB semi-spaces (runner/docs/node-memory.md).
 */
export const NODE_PROCESS_OPTIONS = '--max-semi-space-size=4';

/** The V8 flags for `env`, or [] for V8's defaults. */
export function heapFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.ECI_VIRTUAL_HEAP_GROWING_PERCENT?.trim();
  if (raw === '0' || raw === 'off') return [];
  const pct = raw ? Number(raw) : DEFAULT_HEAP_GROWING_PERCENT;
  if (!Number.isInteger(pct) || pct < 1 || pct > 100)
    throw new InvalidInput(`ECI_VIRTUAL_HEAP_GROWING_PERCENT must be a whole number 1-100, 0 or off (got "${raw}")`);
  return [`--heap-growing-percent=${pct}`];
}

/** Applies `heapFlags()` to this process (before the node allocates much). */
export function applyHeapTuning(env: NodeJS.ProcessEnv = process.env): string[] {
  const flags = heapFlags(env);
  for (const f of flags) v8.setFlagsFromString(f);
  return flags;
}
